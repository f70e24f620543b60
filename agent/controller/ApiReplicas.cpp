// /api/replicas: the replication sessions of every adapter (docs/api.md, "Replicas";
// docs/replication.md). The built-in engine's sessions are started, frozen, resumed and removed
// here; an external engine's sessions are listed as its adapter last described them and are its
// own tools' to manage (push button recovery freezes and removes them through the adapter).

#include "controller/Api.hpp"
#include "controller/ApiError.hpp"
#include "controller/ReplicaCatalog.hpp"
#include "core/Error.hpp"

namespace dagda::controller {

using nlohmann::json;

namespace {

json record_json(const ReplicaRecord& r) {
    json volumes = json::array();
    for (const json& v : r.volumes) volumes.push_back({{"disk", v["disk"]}, {"volume", v["volume"]}, {"bytes", v["bytes"]}});
    return {{"id", r.id}, {"server", r.server}, {"hypervisor", r.hypervisor["name"]}, {"volumes", volumes}};
}

}  // namespace

ReplicaCatalog& Api::replicas() {
    if (!settings_.replicas) not_found("this controller keeps no replicas (no archive folder or database)");
    return *settings_.replicas;
}

ApiResponse Api::list_replicas() {
    json sessions = json::array(), adapters = json::array();
    for (const AdapterListing& listed : replicas().listing()) {
        json adapter{{"name", listed.name}, {"asked", listed.asked}};
        if (!listed.error.empty()) adapter["error"] = listed.error;
        adapters.push_back(std::move(adapter));
        for (const ReplicaSession& session : listed.sessions) sessions.push_back(session_json(session));
    }
    return {200, {{"replicas", std::move(sessions)}, {"adapters", std::move(adapters)}}, ""};
}

ApiResponse Api::add_replica(const json& body, std::int64_t now) {
    refuse_unknown_keys(body, {"server", "hypervisor"}, "a replica");
    if (!body.contains("server") || !body["server"].is_string()) bad_request("a replica needs \"server\" (a folder of the archive folder)");
    if (!body.contains("hypervisor") || !body["hypervisor"].is_string()) bad_request("a replica needs \"hypervisor\" (whose pool holds it)");
    const auto hypervisor = store_.hypervisor(body["hypervisor"].get<std::string>());
    if (!hypervisor) bad_request("no hypervisor named \"" + body["hypervisor"].get<std::string>().substr(0, 64) + "\" (dagda ctl hypervisor add)");
    try {
        json answer = record_json(replicas().engine().add(body["server"], *hypervisor, now));
        answer["state"] = "new";
        return {201, std::move(answer), ""};
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::refused) conflict(e.what());
        bad_request(e.what());
    }
}

ApiResponse Api::change_replica(const std::string& id, const std::string& verb) {
    ReplicaEngine& engine = replicas().engine();
    try {
        if (verb == "freeze") return {200, {{"id", id}, {"state", engine.freeze_soon(id)}}, ""};
        if (verb == "resume") {
            engine.resume(id);
            return {200, {{"id", id}, {"state", "replicating"}}, ""};
        }
        json answer = record_json(engine.remove_now(id));
        answer["state"] = "removed";
        answer["detail"] = "its volumes stay in the pool";
        return {200, std::move(answer), ""};
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::usage) not_found(e.what());
        if (e.kind() == ErrorKind::refused) conflict(e.what());
        throw;
    }
}

}  // namespace dagda::controller
