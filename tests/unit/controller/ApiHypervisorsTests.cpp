// /api/hypervisors (issue 14): the hypervisors a controller makes VMs on, kept in its store,
// with nothing secret in what it keeps or lists.

#include "ApiTestBench.hpp"
#include "common/Run.hpp"
#include "controller/RecoveryStore.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <sys/stat.h>

using dagda::controller::ApiResponse;
using nlohmann::json;

TEST_CASE("Api: hypervisors are added, listed, shown and removed", "[controller][api][hypervisor]") {
    ApiTestBench bench;
    CHECK(bench.call("GET", "/api/hypervisors").body == json{{"hypervisors", json::array()}});
    const std::string credentials = bench.dir.file("esx1.credentials");
    std::ofstream(credentials) << "user=root\npassword=s3cret\n";
    ::chmod(credentials.c_str(), 0600);
    const ApiResponse local = bench.call("POST", "/api/hypervisors", R"({"name": "local", "uri": "qemu:///system", "pool": "dagda", "network": "default"})");
    REQUIRE(local.status == 201);
    CHECK(local.body == json{{"name", "local"}, {"uri", "qemu:///system"}, {"flavour", "qemu"}, {"pool", "dagda"}, {"network", "default"},
                             {"credentials_file", nullptr}});
    const ApiResponse esx = bench.call("POST", "/api/hypervisors",
                                       json{{"name", "esx1"}, {"uri", "esx://esx1.lan/?no_verify=1"}, {"pool", "datastore1"}, {"network", "VM Network"},
                                            {"credentials_file", credentials}}.dump());
    REQUIRE(esx.status == 201);
    CHECK(esx.body["flavour"] == "esx");
    const json listed = bench.call("GET", "/api/hypervisors").body["hypervisors"];
    REQUIRE(listed.size() == 2);
    CHECK(listed[0]["name"] == "esx1");  // by name
    CHECK_THAT(listed.dump(), !Catch::Contains("s3cret"));
    CHECK(bench.call("GET", "/api/hypervisors/local").body["uri"] == "qemu:///system");
    CHECK(bench.call("GET", "/api/hypervisors/nowhere").status == 404);
    CHECK(bench.call("POST", "/api/hypervisors", R"({"name": "local", "uri": "qemu:///system", "pool": "other"})").status == 409);
    CHECK(bench.call("DELETE", "/api/hypervisors/local").status == 200);
    CHECK(bench.call("DELETE", "/api/hypervisors/local").status == 404);
    CHECK(bench.call("PUT", "/api/hypervisors/esx1").status == 405);
    CHECK(bench.call("GET", "/api/hypervisors").body["hypervisors"].size() == 1);
}

TEST_CASE("Api: a hypervisor with a password in its URI, an unknown driver or a readable credentials file is refused",
          "[controller][api][hypervisor]") {
    ApiTestBench bench;
    const auto refused = [&](const json& body) {
        const ApiResponse answer = bench.call("POST", "/api/hypervisors", body.dump());
        CHECK(answer.status == 400);
        return answer.body.value("message", "");
    };
    CHECK_THAT(refused({{"name", "esx1"}, {"uri", "esx://root:s3cret@esx1.lan/"}, {"pool", "datastore1"}}), Catch::Contains("holds a password"));
    CHECK_THAT(refused({{"name", "x"}, {"uri", "xen:///system"}, {"pool", "p"}}), Catch::Contains("qemu:///system"));
    CHECK_THAT(refused({{"name", "x"}, {"uri", "qemu:///system"}}), Catch::Contains("\"pool\""));
    CHECK_THAT(refused({{"name", "a b"}, {"uri", "qemu:///system"}, {"pool", "p"}}), Catch::Contains("name"));
    CHECK_THAT(refused({{"name", "x"}, {"uri", "qemu:///system"}, {"pool", "p"}, {"password", "s"}}), Catch::Contains("unknown key \"password\""));
    const std::string readable = bench.dir.file("readable.credentials");
    std::ofstream(readable) << "user=root\npassword=s3cret\n";
    ::chmod(readable.c_str(), 0644);
    CHECK_THAT(refused({{"name", "x"}, {"uri", "esx://h/"}, {"pool", "p"}, {"credentials_file", readable}}), Catch::Contains("chmod 600"));
    CHECK_THAT(refused({{"name", "x"}, {"uri", "esx://h/"}, {"pool", "p"}, {"credentials_file", "relative.txt"}}), Catch::Contains("absolute"));
    // A user name alone in the URI is no secret.
    CHECK(bench.call("POST", "/api/hypervisors", R"({"name": "kvm1", "uri": "qemu+ssh://dagda@kvm1.lan/system", "pool": "images"})").status == 201);
}

TEST_CASE("docs/api.md: the examples of servers, hypervisors and recoveries have the keys the API answers with", "[controller][api][docs]") {
    const std::map<std::string, json> examples = api_examples();
    ApiTestBench bench;
    // The recovery example's server missing is
    // what is refused, not any of its keys; with srv01 in the archive folder, it is queued.
    const json hypervisor = examples.at("hypervisor-response");
    const std::string credentials = bench.dir.file("esx1.credentials");
    std::ofstream(credentials) << "user=root\npassword=x\n";
    ::chmod(credentials.c_str(), 0600);
    json hypervisor_request = hypervisor;
    hypervisor_request.erase("flavour");
    hypervisor_request["credentials_file"] = credentials;
    const ApiResponse added = bench.call("POST", "/api/hypervisors", hypervisor_request.dump());
    REQUIRE(added.status == 201);
    CHECK(keys_of(added.body) == keys_of(hypervisor));
    CHECK(added.body["flavour"] == "esx");
    REQUIRE(bench.call("POST", "/api/hypervisors", R"({"name": "local", "uri": "qemu:///system", "pool": "dagda"})").status == 201);
    const ApiResponse no_server = bench.call("POST", "/api/recoveries", examples.at("recovery-request").dump());
    CHECK(no_server.status == 400);
    CHECK_THAT(no_server.body["message"].get<std::string>(), Catch::Contains("no server \"srv01\""));
    std::filesystem::create_directories(bench.archives() + "/srv01");
    const std::string disk = bench.image("srv01.img", 48ull << 20);
    REQUIRE(dagda::testing::run("echo ',40M,L' | sfdisk -q " + dagda::testing::sh_quote(disk)).exit_code == 0);
    for (const char* generation : {"disk1-g1.tib", "disk1-g2.tib"}) {
        const std::string base = generation == std::string("disk1-g2.tib") ? " --base " + dagda::testing::sh_quote(bench.archives() + "/srv01/disk1-g1.tib") : "";
        REQUIRE(dagda::testing::run(dagda::testing::dagda_command() + " tib capture --disk " + dagda::testing::sh_quote(disk) + " " +
                                    dagda::testing::sh_quote(bench.archives() + "/srv01/" + generation) + base + " --progress none").exit_code == 0);
    }
    const json server = bench.call("GET", "/api/servers/srv01").body;
    CHECK(keys_of(server) == keys_of(examples.at("server-response")));
    CHECK(keys_of(server["chains"][0]) == keys_of(examples.at("server-response")["chains"][0]));
    CHECK(keys_of(server["chains"][0]["generations"][1]) == keys_of(examples.at("server-response")["chains"][0]["generations"][1]));
    json misspelt = examples.at("recovery-request");
    misspelt["dry_run"] = "yes";
    CHECK(bench.call("POST", "/api/recoveries", misspelt.dump()).status == 400);  // never run for real by mistake
    const ApiResponse queued = bench.call("POST", "/api/recoveries", examples.at("recovery-request").dump());
    INFO(queued.body.dump());
    REQUIRE(queued.status == 201);
    CHECK(keys_of(queued.body) == keys_of(examples.at("recovery-response")));
    CHECK(queued.body["plan"].size() == examples.at("recovery-response")["plan"].size());

    // Cancel: a queued recovery ends at once; a running one is handed to the runner; an ended one is 409.
    const std::string id = queued.body["id"];
    const ApiResponse cancelled = bench.call("POST", "/api/recoveries/" + id + "/cancel", "");
    CHECK(cancelled.status == 200);
    CHECK(cancelled.body["state"] == "cancelled");
    CHECK(bench.call("GET", "/api/recoveries/" + id).body["state"] == "cancelled");
    CHECK(bench.call("GET", "/api/recoveries/" + id + "/events").body["events"][0]["event"] == "recovery_cancelled");
    CHECK(bench.call("POST", "/api/recoveries/" + id + "/cancel", "").status == 409);
    CHECK(bench.call("POST", "/api/recoveries/recovery-99/cancel", "").status == 404);
    CHECK(bench.call("GET", "/api/recoveries/" + id + "/cancel").status == 405);
    CHECK(bench.hooks.recovery_cancels.empty());
    const ApiResponse second = bench.call("POST", "/api/recoveries", examples.at("recovery-request").dump());
    REQUIRE(second.status == 201);
    dagda::controller::RecoveryStore(bench.dir.file("controller.db")).set_state(second.body["id"], "running", 100);
    const ApiResponse asked = bench.call("POST", "/api/recoveries/" + second.body["id"].get<std::string>() + "/cancel", "");
    CHECK(asked.status == 202);
    CHECK(asked.body["cancelling"] == true);
    CHECK(bench.hooks.recovery_cancels == std::vector<std::string>{second.body["id"].get<std::string>()});
    // Kept in the database for a runner that resumes it after a restart.
    CHECK(dagda::controller::RecoveryStore(bench.dir.file("controller.db")).has_event(second.body["id"], "recovery_cancel_requested"));
    CHECK_FALSE(dagda::controller::RecoveryStore(bench.dir.file("controller.db")).has_event(id, "recovery_cancel_requested"));
}
