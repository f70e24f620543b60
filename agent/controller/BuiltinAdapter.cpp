// The built-in engine's side of the replication contract (docs/replication.md): ReplicaEngine's
// sessions as `discover` lists them, and freeze, resume and remove, answered as an external
// adapter would answer them (a refusal is "ok": false with the reason, never an exception).

#include "controller/ReplicaEngine.hpp"

#include "core/Error.hpp"

namespace dagda::controller {

using nlohmann::json;

namespace {

json refusal(const std::string& why) { return {{"contract", replication_contract}, {"ok", false}, {"error", why}}; }

json session_done(const std::string& id, const std::string& state) {
    return {{"contract", replication_contract}, {"ok", true}, {"session", id}, {"state", state}};
}

std::vector<std::string> record_volume_names(const ReplicaRecord& record) {
    std::vector<std::string> names;
    for (const json& v : record.volumes) names.push_back(v["volume"]);
    return names;
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
    return out;
}

}  // namespace

ReplicaSession ReplicaEngine::contract_session(const ReplicaRecord& record) const {
    ReplicaSession s;
    s.adapter = "builtin";
    s.id = record.id;
    s.server = record.server;
    s.hypervisor = record.hypervisor["name"];
    const bool whole = record.generation && !record.applying;
    if (record.frozen && whole && busy_ != record.id)
        s.state = "frozen";
    else if (record.state == "failed")
        s.state = "failed";
    else if (!record.generation)
        s.state = "syncing";
    else
        s.state = "replicating";
    for (const json& v : record.volumes) s.volumes.push_back({v["disk"].get<unsigned>(), v["volume"].get<std::string>(), v["bytes"].get<std::uint64_t>()});
    s.as_of = record.as_of;
    s.generation = record.generation;
    s.detail = record.detail;
    if (record.frozen && s.state != "frozen") s.detail = "freeze asked; " + s.detail;
    return s;
}

ReplicaRecord ReplicaEngine::freeze_and_wait(const std::string& id, bool require_whole_generation) {
    std::unique_lock<std::mutex> lock(mutex_);
    auto record = store_->get(id);
    if (!record) throw Error(ErrorKind::usage, "no session " + id);
    const bool was_frozen = record->frozen;
    store_->set_frozen(id, true, now());
    const auto undo = [&] {
        if (!was_frozen) store_->set_frozen(id, false, now());
    };
    // The engine starts no delta on a frozen session; one under way is let end, never cut (a
    // volume half-way between two generations is no consistent point).
    if (!changed_.wait_for(lock, settings_.freeze_patience, [&] { return busy_ != id; })) {
        undo();
        throw Error(ErrorKind::refused, "a delta being applied to it did not end within " + std::to_string(settings_.freeze_patience.count()) + " s");
    }
    record = store_->get(id);
    if (require_whole_generation && (!record->generation || record->applying)) {
        undo();
        if (!record->generation) throw Error(ErrorKind::refused, "its first copy is not whole yet");
        throw Error(ErrorKind::refused, "its volumes are half-way from generation " + std::to_string(record->generation) + " to " +
                                            std::to_string(record->applying) + (record->detail.empty() ? "" : " (" + record->detail + ")"));
    }
    return *record;
}

void ReplicaEngine::resume(const std::string& id) {
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        if (!store_->get(id)) throw Error(ErrorKind::usage, "no replication session " + id);
        store_->set_frozen(id, false, now());
    }
    wake();  // what landed while frozen is applied now
}

ReplicaRecord ReplicaEngine::remove_now(const std::string& id) {
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto record = store_->get(id);
    if (!record) throw Error(ErrorKind::usage, "no replication session " + id);
    if (busy_ == id) throw Error(ErrorKind::refused, id + " is having a generation applied; freeze it, then remove it");
    store_->remove(id);
    return *record;
}

json ReplicaEngine::answer(const json& request) {
    try {
        if (!request.is_object() || request.value("contract", "") != replication_contract) return refusal(std::string("not a ") + replication_contract + " request");
        const std::string verb = request.value("verb", "");
        if (verb == "discover") {
            json sessions = json::array();
            const std::lock_guard<std::mutex> lock(mutex_);
            for (const ReplicaRecord& record : store_->list()) {
                json s = session_json(contract_session(record));
                s.erase("adapter");
                sessions.push_back(std::move(s));
            }
            return {{"contract", replication_contract}, {"ok", true}, {"sessions", std::move(sessions)}};
        }
        if (verb != "freeze" && verb != "resume" && verb != "remove") return refusal("no verb \"" + verb.substr(0, 32) + "\"");
        if (!request.contains("session") || !request["session"].is_string()) return refusal("the request names no session");
        const std::string id = request["session"];
        const auto record = session(id);
        if (!record) return verb == "remove" ? session_done(id, "removed") : refusal("no session " + id);
        // The volumes the caller expects: another session's (or an outdated list) is refused.
        const std::vector<std::string> held = record_volume_names(*record);
        if (!request.contains("volumes") || request["volumes"] != json(held))
            return refusal("session " + id + " holds the volumes " + joined(held) + ", not those the request names");
        if (verb == "freeze") {
            const ReplicaRecord frozen = freeze_and_wait(id, true);
            json done = session_done(id, "frozen");
            done["generation"] = frozen.generation;
            done["as_of"] = frozen.as_of;
            return done;
        }
        if (verb == "resume") {
            resume(id);
            return session_done(id, "replicating");
        }
        freeze_and_wait(id, false);  // nothing writes the volumes while the session goes
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            store_->remove(id);
        }
        json done = session_done(id, "removed");
        done["detail"] = "its volumes stay in the pool: " + joined(held);
        return done;
    } catch (const std::exception& e) {
        return refusal(e.what());
    }
}

}  // namespace dagda::controller
