#include "controller/ReplicationContract.hpp"

#include "core/Error.hpp"

#include <algorithm>
#include <set>

namespace dagda::controller {

using nlohmann::json;

namespace {

[[noreturn]] void wrong(const std::string& what) { throw Error(ErrorKind::failed, what); }

bool name_characters(const std::string& text, std::size_t most, bool upper_and_dots) {
    if (text.empty() || text.size() > most) return false;
    return std::all_of(text.begin(), text.end(), [&](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
               (upper_and_dots && ((c >= 'A' && c <= 'Z') || c == '.' || c == '_'));
    });
}

/// The answer's envelope: an object of this contract, "ok": true; a refusal thrown with its reason.
void check_envelope(const json& answer) {
    if (!answer.is_object()) wrong("answered " + std::string(answer.type_name()) + ", not a JSON object");
    if (!answer.contains("contract") || !answer["contract"].is_string()) wrong("answered without \"contract\"");
    const std::string contract = answer["contract"];
    if (contract != replication_contract)
        wrong("speaks \"" + contract.substr(0, 64) + "\", not \"" + replication_contract + "\"");
    if (!answer.contains("ok") || !answer["ok"].is_boolean()) wrong("answered without \"ok\" (true or false)");
    if (!answer["ok"].get<bool>()) {
        const std::string why = answer.contains("error") && answer["error"].is_string() ? answer["error"].get<std::string>() : "it gave no reason";
        wrong("refused: " + why.substr(0, 1000));
    }
}

std::string text_field(const json& object, const char* key, const std::string& where, bool required) {
    if (!object.contains(key)) {
        if (required) wrong(where + "has no \"" + key + "\"");
        return "";
    }
    if (!object[key].is_string()) wrong(where + "\"" + key + "\" is not a string");
    const std::string value = object[key];
    if (value.size() > 1000) wrong(where + "\"" + key + "\" is longer than 1000 characters");
    return value;
}

std::uint64_t count_field(const json& object, const char* key, const std::string& where, bool required) {
    if (!object.contains(key)) {
        if (required) wrong(where + "has no \"" + key + "\"");
        return 0;
    }
    if (!object[key].is_number_integer() || object[key].get<std::int64_t>() < 0) wrong(where + "\"" + key + "\" is not a whole number");
    return object[key].get<std::uint64_t>();
}

ReplicaSession session_of(const json& item) {
    if (!item.is_object()) wrong("a session is not a JSON object");
    ReplicaSession session;
    session.id = text_field(item, "id", "a session ", true);
    if (!valid_session_id(session.id)) wrong("a session id is not 1 to 64 of A-Z a-z 0-9 . _ -");
    const std::string where = "session \"" + session.id + "\": ";
    session.server = text_field(item, "server", where, true);
    session.hypervisor = text_field(item, "hypervisor", where, true);
    session.state = text_field(item, "state", where, true);
    static const std::set<std::string> states{"replicating", "frozen", "syncing", "failed"};
    if (!states.count(session.state)) wrong(where + "state \"" + session.state.substr(0, 64) + "\" is none of replicating, frozen, syncing, failed");
    session.as_of = text_field(item, "as_of", where, false);
    session.detail = text_field(item, "detail", where, false);
    session.generation = static_cast<unsigned>(std::min<std::uint64_t>(count_field(item, "generation", where, false), 1u << 30));
    if (!item.contains("volumes") || !item["volumes"].is_array() || item["volumes"].empty()) wrong(where + "\"volumes\" is not a list of volumes");
    if (item["volumes"].size() > 64) wrong(where + "names more than 64 volumes");
    for (const json& v : item["volumes"]) {
        if (!v.is_object()) wrong(where + "a volume is not a JSON object");
        const std::uint64_t disk = count_field(v, "disk", where + "a volume ", true);
        if (disk != session.volumes.size() + 1) wrong(where + "its volumes are not disks 1, 2, … in order");
        const std::string volume_where = where + "volume " + std::to_string(disk) + " ";
        ReplicaVolume volume{static_cast<unsigned>(disk), text_field(v, "volume", volume_where, true), count_field(v, "bytes", volume_where, true)};
        if (volume.volume.empty() || volume.volume.find('/') != std::string::npos) wrong(volume_where + "is not a volume name of a pool");
        if (volume.bytes == 0) wrong(volume_where + "has 0 bytes");
        session.volumes.push_back(std::move(volume));
    }
    return session;
}

}  // namespace

std::string verb_name(ReplicationVerb verb) {
    switch (verb) {
        case ReplicationVerb::discover: return "discover";
        case ReplicationVerb::freeze: return "freeze";
        case ReplicationVerb::resume: return "resume";
        case ReplicationVerb::remove: return "remove";
    }
    return "?";
}

json replication_request(ReplicationVerb verb, const std::string& request_id, const std::string& session, const std::vector<std::string>& volumes) {
    json request{{"contract", replication_contract}, {"verb", verb_name(verb)}, {"request_id", request_id}};
    if (verb != ReplicationVerb::discover) {
        request["session"] = session;
        request["volumes"] = volumes;
    }
    return request;
}

std::vector<ReplicaSession> discover_answer(const json& answer) {
    check_envelope(answer);
    if (!answer.contains("sessions") || !answer["sessions"].is_array()) wrong("answered without \"sessions\" (a list)");
    if (answer["sessions"].size() > 10000) wrong("answered more than 10000 sessions");
    std::vector<ReplicaSession> sessions;
    std::set<std::string> seen;
    for (const json& item : answer["sessions"]) {
        sessions.push_back(session_of(item));
        if (!seen.insert(sessions.back().id).second) wrong("names session \"" + sessions.back().id + "\" twice");
    }
    return sessions;
}

SessionAnswer session_answer(const json& answer, const std::string& session, const std::string& state) {
    check_envelope(answer);
    SessionAnswer out;
    out.session = text_field(answer, "session", "its answer ", true);
    if (out.session != session) wrong("answered for session \"" + out.session.substr(0, 64) + "\", not \"" + session + "\"");
    out.state = text_field(answer, "state", "its answer ", true);
    if (out.state != state) wrong("answered state \"" + out.state.substr(0, 64) + "\", not \"" + state + "\"");
    out.as_of = text_field(answer, "as_of", "its answer ", false);
    out.generation = static_cast<unsigned>(std::min<std::uint64_t>(count_field(answer, "generation", "its answer ", false), 1u << 30));
    return out;
}

bool valid_session_id(const std::string& text) { return name_characters(text, 64, true); }
bool valid_adapter_name(const std::string& text) { return name_characters(text, 32, false); }

json session_json(const ReplicaSession& session) {
    json volumes = json::array();
    for (const ReplicaVolume& v : session.volumes) volumes.push_back({{"disk", v.disk}, {"volume", v.volume}, {"bytes", v.bytes}});
    json out{{"adapter", session.adapter}, {"id", session.id},       {"server", session.server},
             {"hypervisor", session.hypervisor}, {"state", session.state}, {"volumes", std::move(volumes)}};
    if (!session.as_of.empty()) out["as_of"] = session.as_of;
    if (session.generation) out["generation"] = session.generation;
    if (!session.detail.empty()) out["detail"] = session.detail;
    return out;
}

std::vector<std::string> volume_names(const ReplicaSession& session) {
    std::vector<std::string> names;
    for (const ReplicaVolume& v : session.volumes) names.push_back(v.volume);
    return names;
}

}  // namespace dagda::controller
