// Push button orders planned as data (PushButtonOrder): which replica a request means, the steps
// of each use of it, and the requests refused before anything is frozen or written.

#include "controller/PushButtonOrder.hpp"
#include "controller/VmRecoveryOrder.hpp"
#include "core/Error.hpp"

#include <catch2/catch.hpp>

using namespace dagda::controller;
using nlohmann::json;

namespace {

dagda::recovery::ServerSummary server() {
    dagda::recovery::ServerSummary s;
    s.name = "srv01";
    dagda::recovery::ChainSummary chain;
    chain.newest = "disk1-g2.tib";
    chain.host = "srv01";
    chain.disk_bytes = 64ull << 20;
    chain.table = "dos";
    chain.generations = {{1, "disk1.tib", "2026-12-01T22:00:00Z", "full", 1000}, {2, "disk1-g2.tib", "2026-12-02T22:00:00Z", "incremental", 100}};
    s.chains = {chain};
    s.generations = 2;
    return s;
}

ReplicaSession session(const std::string& adapter = "builtin", const std::string& id = "replica-1") {
    ReplicaSession s;
    s.adapter = adapter;
    s.id = id;
    s.server = "srv01";
    s.hypervisor = "local";
    s.state = "replicating";
    s.volumes = {{1, "dagda-replica-srv01-disk1.img", 64ull << 20}};
    s.generation = 1;
    return s;
}

const HypervisorRecord local{"local", "qemu:///system", "dagda", "", ""};

json request(const std::string& use, bool direct = true) {
    return {{"server", "srv01"},
            {"from", {{"replica", {{"use", use}, {"disable", {"SyncAgent"}}}}}},
            {"to", {{"vm", {{"hypervisor", "local"}, {"name", "srv01-dr"}, {"direct", direct}}}}}};
}

std::vector<std::string> step_names(const json& order) {
    std::vector<std::string> names;
    for (const json& step : order["steps"]) names.push_back(step["step"]);
    return names;
}

}  // namespace

TEST_CASE("Push button order: through the helper VM, in place, with copy and with backup", "[controller][push-button]") {
    const json in_place = push_button_order(request("in_place", false), server(), local, session(), "/srv/archives", true);
    CHECK(in_place["mode"] == "helper");
    // The helper stays up from before the first write until the session is removed, and each
    // disk's undo journal has a volume of its own, lent with the replica's.
    CHECK(step_names(in_place) == std::vector<std::string>{"replica.check", "replica.make_journals", "replica.freeze", "helper.prepare", "helper.attach_replica",
                                                           "helper.start", "helper.hello", "replica.make_bootable", "replica.inoculate", "replica.remove",
                                                           "helper.detach", "replica.drop_journals", "vm.define"});
    CHECK(in_place["disks"][0]["volume"] == "dagda-replica-srv01-disk1.img");
    const std::string serial = in_place["disks"][0]["serial"];
    CHECK_THAT(serial, Catch::StartsWith("DAGDA-") && Catch::EndsWith("-1"));
    CHECK(in_place["disks"][0]["journal_serial"] == serial.substr(0, serial.size() - 1) + "J1");
    CHECK(in_place["disks"][0]["journal_volume"] == "srv01-dr-undo-disk1.img");
    const json copy = push_button_order(request("copy", false), server(), local, session(), "/srv/archives", true);
    CHECK(step_names(copy) == std::vector<std::string>{"replica.check", "hypervisor.check", "replica.freeze", "replica.copy", "replica.resume", "helper.prepare",
                                                       "helper.attach", "helper.start", "helper.hello", "replica.make_bootable", "replica.inoculate",
                                                       "helper.detach", "vm.define"});
    CHECK(copy["disks"][0]["copy_of"] == "dagda-replica-srv01-disk1.img");
    CHECK(copy["disks"][0]["volume"] != copy["disks"][0]["copy_of"]);
    // Backup: the helper is lent the frozen replica and uploads its backup, gives it back before
    // replication resumes, then restores the new generation onto the new volumes.
    const json backup = push_button_order(request("backup", false), server(), local, session(), "/srv/archives", true);
    CHECK(step_names(backup) == std::vector<std::string>{"replica.check", "hypervisor.check", "replica.freeze", "helper.prepare", "helper.attach_replica",
                                                         "helper.start", "helper.hello", "replica.backup", "helper.detach", "replica.resume",
                                                         "hypervisor.create_disks", "helper.prepare", "helper.attach", "helper.start", "helper.hello",
                                                         "helper.restore", "helper.detach", "vm.define"});
    CHECK_THAT(backup["disks"][0]["archive"].get<std::string>(), Catch::StartsWith("/srv/archives/srv01/srv01-disk1-"));
    CHECK(backup["disks"][0]["chain"] == "disk1.tib");
}

TEST_CASE("Push button order: each use of the replica, its steps and its disks", "[controller][push-button]") {
    const json in_place = push_button_order(request("in_place"), server(), local, session(), "/srv/archives", false);
    CHECK(step_names(in_place) == std::vector<std::string>{"replica.check", "replica.freeze", "replica.make_bootable", "replica.inoculate", "replica.remove", "vm.define"});
    CHECK(in_place["disks"][0]["volume"] == "dagda-replica-srv01-disk1.img");
    // The generation the replica holds describes its disk.
    CHECK(in_place["disks"][0]["archive"] == "/srv/archives/srv01/disk1.tib");
    CHECK(in_place["replica"] == json({{"adapter", "builtin"}, {"session", "replica-1"}, {"use", "in_place"}, {"volumes", {"dagda-replica-srv01-disk1.img"}},
                                       {"disable", {"SyncAgent"}}}));
    const std::vector<std::string> lines = describe_order(in_place);
    CHECK_THAT(lines[0], Catch::StartsWith("push button: srv01's replica builtin/replica-1 (its volumes become the VM's disks"));

    const json copy = push_button_order(request("copy"), server(), local, session(), "/srv/archives", false);
    CHECK(step_names(copy) ==
          std::vector<std::string>{"replica.check", "hypervisor.check", "replica.freeze", "replica.copy", "replica.resume", "replica.make_bootable", "replica.inoculate", "vm.define"});
    CHECK(copy["disks"][0]["copy_of"] == "dagda-replica-srv01-disk1.img");
    CHECK(copy["disks"][0]["volume"] == "srv01-dr-disk1.img");

    const json backup = push_button_order(request("backup"), server(), local, session(), "/srv/archives", false);
    CHECK(step_names(backup) == std::vector<std::string>{"replica.check", "hypervisor.check", "replica.freeze", "replica.backup", "replica.resume",
                                                          "hypervisor.create_disks", "direct.restore", "vm.define"});
    CHECK(backup["generation"] == 3);
    CHECK(backup["disks"][0]["chain"] == "disk1.tib");
    CHECK_THAT(backup["disks"][0]["archive"].get<std::string>(), Catch::StartsWith("/srv/archives/srv01/srv01-disk1-") && Catch::EndsWith(".tib"));
}

TEST_CASE("Push button order: the replica a request means, and the requests refused", "[controller][push-button]") {
    const auto refusal = [](const std::function<void()>& plan) {
        try {
            plan();
        } catch (const dagda::Error& e) {
            return std::string(e.what());
        }
        return std::string("(not refused)");
    };
    // Which session: the server's one; two need naming.
    CHECK(replica_for(request("in_place"), {session()}).id == "replica-1");
    CHECK_THAT(refusal([] { replica_for(request("in_place"), {session(), session("array", "arr-1")}); }), Catch::Contains("has 2 replication sessions"));
    json named = request("in_place");
    named["from"]["replica"]["adapter"] = "array";
    CHECK(replica_for(named, {session(), session("array", "arr-1")}).id == "arr-1");
    CHECK_THAT(refusal([] { replica_for(request("in_place"), {}); }), Catch::Contains("no replication session of srv01"));

    CHECK_THAT(refusal([] { push_button_order(request("mirror"), server(), local, session(), "/a", false); }), Catch::Contains("in_place, copy or backup"));
    ReplicaSession syncing = session();
    syncing.state = "syncing";
    CHECK_THAT(refusal([&] { push_button_order(request("in_place"), server(), local, syncing, "/a", false); }), Catch::Contains("is syncing"));
    ReplicaSession elsewhere = session();
    elsewhere.hypervisor = "kvm2";
    CHECK_THAT(refusal([&] { push_button_order(request("in_place"), server(), local, elsewhere, "/a", false); }), Catch::Contains("on the hypervisor kvm2"));
    ReplicaSession two = session();
    two.volumes.push_back({2, "other.img", 1});
    CHECK_THAT(refusal([&] { push_button_order(request("in_place"), server(), local, two, "/a", false); }), Catch::Contains("has 2 volumes; srv01 has 1 disks"));
    json generation = request("in_place");
    generation["generation"] = 1;
    CHECK_THAT(refusal([&] { push_button_order(generation, server(), local, session(), "/a", false); }), Catch::Contains("unknown key \"generation\""));
    json bad_disable = request("in_place");
    bad_disable["from"]["replica"]["disable"] = "SyncAgent";
    CHECK_THAT(refusal([&] { push_button_order(bad_disable, server(), local, session(), "/a", false); }), Catch::Contains("lists service names"));
}
