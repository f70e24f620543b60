// The REST API's front: the operator's token, the request target split into path and query, the
// route table, and the enrolment and agent endpoints. Jobs are in ApiJobs.cpp, the plan of a
// `recover` job in ApiRecover.cpp. Every refusal is an ApiError turned into its response here.

#include "controller/Api.hpp"

#include "controller/ApiError.hpp"
#include "controller/BootScripts.hpp"
#include "core/Error.hpp"
#include "core/Url.hpp"
#include "protocol/Messages.hpp"
#include "protocol/Proof.hpp"

#include <algorithm>
#include <cctype>

namespace dagda::controller {

namespace {

using nlohmann::json;

constexpr std::size_t largest_body = 8u << 20;  // docs/api.md; a plan is far smaller

/// The token of "Bearer TOKEN" (the scheme in any case, RFC 7235), or "".
std::string bearer_token(const std::string& authorization) {
    const std::string scheme = "bearer ";
    if (authorization.size() <= scheme.size()) return "";
    for (std::size_t i = 0; i < scheme.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(authorization[i])) != scheme[i]) return "";
    std::string token = authorization.substr(scheme.size());
    token.erase(0, token.find_first_not_of(' '));
    token.erase(token.find_last_not_of(' ') + 1);
    return token;
}

/// The body as a JSON object. The nesting limit is the protocol's: a plan goes on to an agent
/// inside a job_offer, and printing or copying a deeper document would recurse past the stack.
json object_body(const std::string& body) {
    if (body.size() > largest_body) throw ApiError(413, "too_large", "the request body is larger than 8 MiB");
    const auto limit_depth = [](int depth, json::parse_event_t event, json&) {
        if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
            static_cast<std::size_t>(depth) >= protocol::deepest_nesting)
            bad_request("the body nests deeper than " + std::to_string(protocol::deepest_nesting) + " levels");
        return true;
    };
    json doc;
    try {
        doc = json::parse(body, limit_depth);
    } catch (const json::exception& e) {
        bad_request(std::string("the body is not JSON: ") + e.what());
    }
    if (!doc.is_object()) bad_request("the body must be a JSON object");
    return doc;
}

bool valid_enrolment_name(const std::string& name) {
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
           });
}

ApiResponse method_not_allowed(const std::string& method, const std::string& allow) {
    return {405, {{"error", "method_not_allowed"}, {"message", method + " is not allowed here; use " + allow}}, allow};
}

}  // namespace

std::string percent_decoded(const std::string& text) {
    auto decoded = url_unescaped(text);
    if (!decoded) bad_request("the request target has a malformed %-escape");
    return std::move(*decoded);
}

std::vector<std::string> path_segments(const std::string& path) {
    std::vector<std::string> segments;
    std::size_t start = 1;  // after the leading '/'
    while (start <= path.size()) {
        const std::size_t slash = std::min(path.find('/', start), path.size());
        segments.push_back(percent_decoded(path.substr(start, slash - start)));
        start = slash + 1;
    }
    return segments;
}

void refuse_unknown_parameters(const std::map<std::string, std::string>& query, std::initializer_list<const char*> known) {
    for (const auto& [key, value] : query)
        if (std::none_of(known.begin(), known.end(), [&key](const char* k) { return key == k; }))
            bad_request("unknown query parameter \"" + key + "\"");
}

std::map<std::string, std::string> query_parameters(const std::string& query) {
    std::map<std::string, std::string> out;
    std::size_t start = 0;
    while (start < query.size()) {
        const std::size_t end = std::min(query.find('&', start), query.size());
        const std::string pair = query.substr(start, end - start);
        const std::size_t equals = pair.find('=');
        if (!pair.empty()) out[percent_decoded(pair.substr(0, equals))] = equals == std::string::npos ? "" : percent_decoded(pair.substr(equals + 1));
        start = end + 1;
    }
    return out;
}


Api::Api(Store& store, ApiHooks& hooks, ApiSettings settings) : store_(store), hooks_(hooks), settings_(std::move(settings)) {
    if (!settings_.database.empty()) recoveries_ = std::make_unique<RecoveryStore>(settings_.database);
    // An archive folder given without its store (a test bench, a tool): the folder's own.
    if (!settings_.archive_store && !settings_.archives_dir.empty()) {
        own_archive_store_ = make_folder_store(settings_.archives_dir);
        settings_.archive_store = own_archive_store_.get();
    }
}

Api::~Api() = default;

bool Api::authorized(const std::string& authorization) const {
    // An empty configured token must never match an empty presented one.
    const std::string token = bearer_token(authorization);
    return !settings_.operator_token.empty() && !token.empty() && protocol::same_proof(token, settings_.operator_token);
}

ApiResponse Api::handle(const ApiRequest& request, std::int64_t now) {
    try {
        const std::size_t question = request.target.find('?');
        const std::string path = request.target.substr(0, question);
        if (path != "/api" && path.rfind("/api/", 0) != 0) not_found("no such resource: " + path);
        if (!request.admitted && !authorized(request.authorization))
            throw ApiError(401, "unauthorized", "the request needs the operator's token (Authorization: Bearer TOKEN)");
        const Query query = question == std::string::npos ? Query{} : query_parameters(request.target.substr(question + 1));
        return route(request, path_segments(path), query, now);
    } catch (const ApiError& e) {
        return {e.status(), {{"error", e.code()}, {"message", e.what()}}, ""};
    } catch (const std::exception& e) {
        // The store failed (disk full, I/O): the server stays up and the operator sees why.
        return {500, {{"error", "internal"}, {"message", e.what()}}, ""};
    }
}

ApiResponse Api::route(const ApiRequest& request, const std::vector<std::string>& path, const Query& query, std::int64_t now) {
    const std::string& method = request.method;
    const std::size_t n = path.size();
    const auto is = [&](std::size_t i, const char* word) { return i < n && path[i] == word; };
    const bool job_path = n >= 3 && is(1, "jobs") && !path[2].empty();
    // Each resource: the methods it takes (else 405), then the query parameters (else 400).
    const auto accepts = [&](std::initializer_list<const char*> methods, std::initializer_list<const char*> parameters) {
        if (std::none_of(methods.begin(), methods.end(), [&](const char* m) { return method == m; })) return false;
        refuse_unknown_parameters(query, parameters);
        return true;
    };
    if (n == 2 && is(1, "enrolments")) {
        if (!accepts({"GET", "POST"}, {})) return method_not_allowed(method, "GET, POST");
        if (method == "GET") return list_enrolments();
        return enrol(object_body(request.body));
    }
    if (n == 4 && is(1, "enrolments") && !path[2].empty() && is(3, "arm")) {
        if (!accepts({"POST"}, {})) return method_not_allowed(method, "POST");
        return arm_boot(path[2]);
    }
    if (n == 2 && is(1, "hypervisors")) {
        if (!accepts({"GET", "POST"}, {})) return method_not_allowed(method, "GET, POST");
        if (method == "GET") return list_hypervisors();
        return add_hypervisor(object_body(request.body));
    }
    if (n == 3 && is(1, "hypervisors") && !path[2].empty()) {
        if (!accepts({"GET", "DELETE"}, {})) return method_not_allowed(method, "GET, DELETE");
        if (method == "GET") return show_hypervisor(path[2]);
        return remove_hypervisor(path[2]);
    }
    if (n == 2 && is(1, "recoveries")) {
        if (!accepts({"GET", "POST"}, {})) return method_not_allowed(method, "GET, POST");
        if (method == "GET") return list_recoveries();
        return submit_recovery(object_body(request.body), now);
    }
    if (n == 3 && is(1, "recoveries") && !path[2].empty()) {
        if (!accepts({"GET"}, {})) return method_not_allowed(method, "GET");
        return show_recovery(path[2]);
    }
    if (n == 4 && is(1, "recoveries") && !path[2].empty() && is(3, "cleanup")) {
        if (!accepts({"POST"}, {})) return method_not_allowed(method, "POST");
        return clean_up_recovery(path[2], now);
    }
    if (n == 4 && is(1, "recoveries") && !path[2].empty() && is(3, "cancel")) {
        if (!accepts({"POST"}, {})) return method_not_allowed(method, "POST");
        return cancel_recovery(path[2], now);
    }
    if (n == 4 && is(1, "recoveries") && !path[2].empty() && is(3, "events")) {
        if (!accepts({"GET"}, {"after"})) return method_not_allowed(method, "GET");
        return recovery_events(path[2], query);
    }
    if (n == 2 && is(1, "replicas")) {
        if (!accepts({"GET", "POST"}, {})) return method_not_allowed(method, "GET, POST");
        if (method == "GET") return list_replicas();
        return add_replica(object_body(request.body), now);
    }
    if (n == 3 && is(1, "replicas") && !path[2].empty()) {
        if (!accepts({"DELETE"}, {})) return method_not_allowed(method, "DELETE");
        return change_replica(path[2], "remove");
    }
    if (n == 4 && is(1, "replicas") && !path[2].empty() && (is(3, "freeze") || is(3, "resume"))) {
        if (!accepts({"POST"}, {})) return method_not_allowed(method, "POST");
        return change_replica(path[2], path[3]);
    }
    if (n == 2 && is(1, "servers")) {
        if (!accepts({"GET"}, {})) return method_not_allowed(method, "GET");
        return list_servers();
    }
    if (n == 3 && is(1, "servers") && !path[2].empty()) {
        if (!accepts({"GET"}, {})) return method_not_allowed(method, "GET");
        return show_server(path[2]);
    }
    if (n == 2 && is(1, "agents")) {
        if (!accepts({"GET"}, {})) return method_not_allowed(method, "GET");
        return list_agents();
    }
    if (n == 3 && is(1, "agents") && !path[2].empty()) {
        if (!accepts({"GET"}, {})) return method_not_allowed(method, "GET");
        return show_agent(path[2]);
    }
    if (n == 2 && is(1, "jobs")) {
        if (!accepts({"GET", "POST"}, {"agent"})) return method_not_allowed(method, "GET, POST");
        if (method == "GET") return list_jobs(query);
        refuse_unknown_parameters(query, {});
        return submit_job(object_body(request.body), now);
    }
    if (n == 3 && job_path) {
        if (!accepts({"GET"}, {})) return method_not_allowed(method, "GET");
        return show_job(path[2], request.viewer);
    }
    if (n == 4 && job_path && is(3, "events")) {
        if (!accepts({"GET"}, {"after"})) return method_not_allowed(method, "GET");
        return job_events(path[2], query);
    }
    if (n == 4 && job_path && is(3, "cancel")) {
        if (!accepts({"POST"}, {})) return method_not_allowed(method, "POST");
        return cancel_job(path[2], now);
    }
    not_found("no such resource: " + request.target.substr(0, request.target.find('?')));
}

ApiResponse Api::enrol(const json& body) {
    refuse_unknown_keys(body, {"name", "mac"}, "an enrolment");
    if (!body.contains("name") || !body["name"].is_string()) bad_request("an enrolment needs a \"name\" (a string)");
    const std::string name = body["name"].get<std::string>();
    if (!valid_enrolment_name(name)) bad_request("an enrolment name is 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' and '-'");
    std::string mac;
    if (body.contains("mac")) {
        const auto canonical = body["mac"].is_string() ? canonical_mac(body["mac"].get<std::string>()) : std::nullopt;
        if (!canonical) bad_request("\"mac\" is the MAC address the machine boots by PXE with, as aa:bb:cc:dd:ee:ff");
        mac = *canonical;
    }
    try {
        json answer = {{"name", name}, {"token", store_.enrol(name, mac)}};
        if (!mac.empty()) answer["mac"] = mac;
        return {201, std::move(answer), ""};
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::refused) conflict(e.what());
        throw;
    }
}

ApiResponse Api::arm_boot(const std::string& name) {
    try {
        const std::string mac = store_.arm_boot(name);
        return {200, {{"name", name}, {"mac", mac}, {"armed", true}}, ""};
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::usage) not_found(e.what());
        if (e.kind() == ErrorKind::refused) conflict(e.what());
        throw;
    }
}

ApiResponse Api::list_enrolments() {
    json enrolments = json::array();
    for (const EnrolmentRecord& e : store_.enrolments())
        enrolments.push_back({{"name", e.name},
                              {"mac", e.mac.empty() ? json(nullptr) : json(e.mac)},
                              {"armed", e.armed},
                              {"machine_id", e.machine_id.empty() ? json(nullptr) : json(e.machine_id)},
                              {"agent", e.agent_id.empty() ? json(nullptr) : json(e.agent_id)}});
    return {200, {{"enrolments", std::move(enrolments)}}, ""};
}

json Api::agent_json(const AgentRecord& agent) {
    return {{"id", agent.id},
            {"enrolment", agent.enrolment},
            {"machine_id", agent.machine_id},
            {"boot_id", agent.boot_id},
            {"agent_version", agent.agent_version},
            {"last_seen", agent.last_seen},
            {"connected", hooks_.agent_connected(agent.id)},
            {"inventory", agent.inventory}};
}

ApiResponse Api::list_agents() {
    json agents = json::array();
    for (const AgentRecord& agent : store_.agents()) agents.push_back(agent_json(agent));
    return {200, {{"agents", std::move(agents)}}, ""};
}

ApiResponse Api::show_agent(const std::string& id) {
    const auto agent = store_.agent(id);
    if (!agent) not_found("no agent \"" + id + "\"");
    return {200, agent_json(*agent), ""};
}

}  // namespace dagda::controller
