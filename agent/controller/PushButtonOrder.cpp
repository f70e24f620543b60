#include "controller/PushButtonOrder.hpp"

#include "controller/VmRecoveryOrder.hpp"
#include "core/Error.hpp"

#include <chrono>
#include <ctime>
#include <filesystem>

namespace dagda::controller {

using nlohmann::json;

namespace {

[[noreturn]] void refuse(const std::string& why) { throw Error(ErrorKind::usage, why); }

const json& replica_request(const json& request) {
    if (!request.contains("from") || !request["from"].is_object() || !request["from"].contains("replica") || !request["from"]["replica"].is_object())
        refuse("a push button needs \"from\": {\"replica\": {…}}");
    const json& replica = request["from"]["replica"];
    for (const auto& item : replica.items())
        if (item.key() != "adapter" && item.key() != "session" && item.key() != "use" && item.key() != "disable")
            refuse("\"replica\" has an unknown key \"" + item.key() + "\"");
    for (const char* key : {"adapter", "session", "use"})
        if (replica.contains(key) && !replica[key].is_string()) refuse(std::string("\"") + key + "\" is a string");
    return replica;
}

/// "20261205T134500Z": names a backup's new generation files.
std::string utc_stamp() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    gmtime_r(&now, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
    return text;
}

}  // namespace

ReplicaSession replica_for(const json& request, const std::vector<ReplicaSession>& sessions) {
    const json& asked = replica_request(request);
    const std::string server = request.value("server", "");
    std::vector<const ReplicaSession*> found;
    for (const ReplicaSession& s : sessions) {
        if (s.server != server) continue;
        if (asked.contains("adapter") && s.adapter != asked["adapter"].get<std::string>()) continue;
        if (asked.contains("session") && s.id != asked["session"].get<std::string>()) continue;
        found.push_back(&s);
    }
    if (found.empty()) refuse("no replication session of " + server + " matches (dagda ctl replicas lists them)");
    if (found.size() > 1) refuse(server + " has " + std::to_string(found.size()) + " replication sessions: name one with \"adapter\" and \"session\"");
    return *found.front();
}

json push_button_order(const json& request, const recovery::ServerSummary& server, const HypervisorRecord& hypervisor, const ReplicaSession& replica,
                       const std::string& archives, bool helper_available) {
    for (const auto& item : request.items())
        if (item.key() != "server" && item.key() != "from" && item.key() != "to") refuse("a push button has an unknown key \"" + item.key() + "\"");
    const json& asked = replica_request(request);
    const std::string use = asked.value("use", "in_place");
    if (use != "in_place" && use != "copy" && use != "backup") refuse("\"use\" is in_place, copy or backup, not \"" + use + "\"");
    json disable = asked.contains("disable") ? asked["disable"] : json::array();
    if (!disable.is_array()) refuse("\"disable\" lists service names");
    for (const json& name : disable)
        if (!name.is_string() || name.get<std::string>().empty() || name.get<std::string>().size() > 256) refuse("\"disable\" lists service names");
    if (replica.hypervisor != hypervisor.name)
        refuse("the replica " + replica.adapter + "/" + replica.id + " is on the hypervisor " + replica.hypervisor + ", not " + hypervisor.name);
    if (replica.volumes.size() != server.chains.size())
        refuse("the replica " + replica.adapter + "/" + replica.id + " has " + std::to_string(replica.volumes.size()) + " volumes; " + server.name + " has " +
               std::to_string(server.chains.size()) + " disks");
    if (replica.state != "replicating" && replica.state != "frozen")
        refuse("the replica " + replica.adapter + "/" + replica.id + " is " + replica.state + (replica.detail.empty() ? "" : " (" + replica.detail + ")") +
               ": only a replicating or frozen one can be recovered");
    // The generation that describes the disks (layout, first track, which volume holds Windows):
    // the one the replica holds when its engine says, else the newest.
    const unsigned generation = replica.generation && replica.generation <= server.generations ? replica.generation : server.generations;
    json base{{"server", server.name}, {"generation", generation}, {"to", request.value("to", json::object())}};
    json order = vm_recovery_order(base, server, hypervisor, archives, helper_available);
    const bool direct = order["mode"] == "direct";
    // Through the helper VM: it is lent the replica's volumes (to fix in place, with a journal
    // volume each, or to back up) or their copies, and its agent makes them bootable and
    // inoculates them (staying up until the session is removed, to undo) or uploads their backup.
    const std::vector<const char*> helper_up{"helper.prepare", use == "copy" ? "helper.attach" : "helper.attach_replica", "helper.start", "helper.hello"};
    json steps = json::array({{{"step", "replica.check"}}});
    json& disks = order["disks"];
    for (json& disk : disks) disk["source_bytes"] = disk["bytes"];  // what each replica volume must hold at least
    if (use == "in_place") {
        for (std::size_t i = 0; i < disks.size(); ++i) {
            disks[i]["volume"] = replica.volumes[i].volume;
            disks[i]["bytes"] = replica.volumes[i].bytes;
        }
        if (!direct) {
            // The helper's undo journals on volumes of their own, lent with the replica's: a helper
            // that stops before the session is removed leaves them, and is started again to undo.
            for (std::size_t i = 0; i < disks.size(); ++i) {
                const std::string serial = disks[i]["serial"];
                disks[i]["journal_volume"] = order["vm"]["name"].get<std::string>() + "-undo-disk" + std::to_string(i + 1) + ".img";
                disks[i]["journal_serial"] = serial.substr(0, serial.rfind('-') + 1) + "J" + std::to_string(i + 1);
            }
            steps.push_back({{"step", "replica.make_journals"}});
        }
        steps.push_back({{"step", "replica.freeze"}});
        if (!direct)
            for (const char* step : helper_up) steps.push_back({{"step", step}});
        for (const char* step : {"replica.make_bootable", "replica.inoculate", "replica.remove"}) steps.push_back({{"step", step}});
        if (!direct)
            for (const char* step : {"helper.detach", "replica.drop_journals"}) steps.push_back({{"step", step}});
        steps.push_back({{"step", "vm.define"}});
    } else if (use == "copy") {
        for (std::size_t i = 0; i < disks.size(); ++i) {
            disks[i]["copy_of"] = replica.volumes[i].volume;
            disks[i]["bytes"] = replica.volumes[i].bytes;
        }
        for (const char* step : {"hypervisor.check", "replica.freeze", "replica.copy", "replica.resume"}) steps.push_back({{"step", step}});
        if (!direct)
            for (const char* step : helper_up) steps.push_back({{"step", step}});
        for (const char* step : {"replica.make_bootable", "replica.inoculate"}) steps.push_back({{"step", step}});
        if (!direct) steps.push_back({{"step", "helper.detach"}});
        steps.push_back({{"step", "vm.define"}});
    } else {
        // A new generation of each chain, named for this backup; written beside its chain and
        // committed (renamed to this name) only once it is whole and verified.
        const std::string stamp = utc_stamp();
        for (std::size_t i = 0; i < disks.size(); ++i) {
            const recovery::ChainSummary& chain = server.chains[i];
            // The chain, by the full backup it begins with: its newest generation when the backup
            // runs is the base (one may land between this plan and the freeze).
            disks[i]["chain"] = chain.generations.front().file;
            const std::string file = server.name + "-disk" + std::to_string(i + 1) + "-" + stamp + ".tib";
            disks[i]["archive"] = archives.empty() ? server.name + "/" + file : (std::filesystem::path(archives) / server.name / file).string();
        }
        for (const char* step : {"hypervisor.check", "replica.freeze"}) steps.push_back({{"step", step}});
        if (!direct)
            for (const char* step : helper_up) steps.push_back({{"step", step}});
        steps.push_back({{"step", "replica.backup"}});
        if (!direct) steps.push_back({{"step", "helper.detach"}});
        for (const char* step : {"replica.resume", "hypervisor.create_disks"}) steps.push_back({{"step", step}});
        // The new generation restored onto the new volumes, as a recovery to a new VM does it.
        if (direct)
            for (std::size_t i = 0; i < disks.size(); ++i) steps.push_back({{"step", "direct.restore"}, {"disk", i}});
        else
            for (const char* step : {"helper.prepare", "helper.attach", "helper.start", "helper.hello", "helper.restore", "helper.detach"}) steps.push_back({{"step", step}});
        steps.push_back({{"step", "vm.define"}});
    }
    if (order["steps"].back()["step"] == "vm.start") steps.push_back({{"step", "vm.start"}});
    order["steps"] = steps;
    order["kind"] = "push-button";
    order["request"] = request;
    order["replica"] = {{"adapter", replica.adapter}, {"session", replica.id}, {"use", use}, {"volumes", volume_names(replica)}, {"disable", disable}};
    if (use == "backup") order["generation"] = server.generations + 1;
    return order;
}

}  // namespace dagda::controller
