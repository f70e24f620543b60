// The jobs of the REST API: submitting a plan (given, or made from an archive by ApiRecover.cpp,
// or a backup's by ApiBackup.cpp),
// listing and reading jobs, their events, and cancelling. The agent validates a plan fully when
// it is offered; here a plan is only checked far enough that it can be offered at all.

#include "controller/Api.hpp"

#include "controller/ApiError.hpp"
#include "protocol/Messages.hpp"

#include <algorithm>
#include <charconv>
#include <set>

namespace dagda::controller {

namespace {

using nlohmann::json;

constexpr std::size_t events_per_answer = 1000;  // docs/api.md: a watcher asks again for the rest
constexpr std::size_t event_bytes_per_answer = 4u << 20;  // and no answer holds the I/O thread long
constexpr std::size_t jobs_per_answer = 1000;
// A job_offer frame holds the plan plus an envelope of well under this many bytes.
constexpr std::size_t offer_envelope = 256;

const std::set<std::string> finished_states{"succeeded", "failed", "cancelled", "refused"};

/// The summary of a job in a listing: everything but the plan.
json job_summary(const JobRecord& job) {
    return {{"id", job.id},
            {"agent", job.agent_id},
            {"state", job.state},
            {"created", job.created},
            {"updated", job.updated},
            {"acked", job.acked},
            {"reason", job.reason.empty() ? json(nullptr) : json(job.reason)}};
}

/// The least a plan needs to be offered: docs/plan.md's version and a list of steps, and a size
/// that fits the protocol's frame. The agent checks the rest, with every problem listed.
void check_plan_shape(const json& plan) {
    if (!plan.is_object()) bad_request("\"plan\" must be a JSON object (docs/plan.md)");
    if (!plan.contains("dagda_plan") || !plan["dagda_plan"].is_number_integer() || plan["dagda_plan"].get<std::int64_t>() != 1)
        bad_request("the plan must have \"dagda_plan\": 1");
    if (!plan.contains("steps") || !plan["steps"].is_array()) bad_request("the plan must have \"steps\" (an array)");
    const std::size_t size = plan.dump().size();
    if (size + offer_envelope > protocol::largest_frame)
        throw ApiError(413, "too_large", "the plan is " + std::to_string(size) + " bytes; a job offer carries at most " +
                                             std::to_string(protocol::largest_frame - offer_envelope));
}

std::int64_t sequence_parameter(const std::map<std::string, std::string>& query, const char* key) {
    const auto found = query.find(key);
    if (found == query.end()) return 0;
    std::int64_t value = -1;
    const std::string& text = found->second;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < 0)
        bad_request(std::string("\"") + key + "\" must be an integer >= 0");
    return value;
}

/// `plan` with the key of every files URL ("FILES/KEY/SERVER/FILE"), and the signature of every
/// pre-signed URL of the archive store ("X-Amz-Signature=HEX"), wherever a text holds one,
/// replaced by "hidden".
json without_grant_keys(json plan, const std::string& files_url) {
    const std::string prefix = files_url + "/";
    std::vector<json*> pending{&plan};
    while (!pending.empty()) {
        json* value = pending.back();
        pending.pop_back();
        if (value->is_structured()) {
            for (auto& child : *value) pending.push_back(&child);
        } else if (value->is_string()) {
            // Anywhere in a text: a plan's name quotes its archive's URL too.
            std::string text = value->get<std::string>();
            for (std::size_t at = files_url.empty() ? std::string::npos : text.find(prefix); at != std::string::npos; at = text.find(prefix, at + prefix.size())) {
                const std::size_t key = at + prefix.size(), key_end = std::min(text.find('/', key), text.size());
                text.replace(key, key_end - key, "hidden");
            }
            const std::string signature = "X-Amz-Signature=";
            for (std::size_t at = text.find(signature); at != std::string::npos; at = text.find(signature, at + signature.size())) {
                const std::size_t hex = at + signature.size(), hex_end = std::min(text.find_first_not_of("0123456789abcdefABCDEF", hex), text.size());
                text.replace(hex, hex_end - hex, "hidden");
            }
            *value = text;
        }
    }
    return plan;
}

}  // namespace

JobRecord Api::existing_job(const std::string& id) {
    auto job = store_.job(id);
    if (!job) not_found("no job \"" + id + "\"");
    return std::move(*job);
}

ApiResponse Api::submit_job(const json& body, std::int64_t now) {
    refuse_unknown_keys(body, {"agent", "plan", "recover", "backup", "dry_run"}, "a job");
    if (body.contains("dry_run") && !body["dry_run"].is_boolean()) bad_request("\"dry_run\" is true or false");
    const bool dry_run = body.value("dry_run", false);
    if (!body.contains("agent") || !body["agent"].is_string()) bad_request("a job needs an \"agent\" (its id, a string)");
    if (body.contains("plan") + body.contains("recover") + body.contains("backup") != 1)
        bad_request("a job has one of a \"plan\", a \"recover\" request or a \"backup\" request");
    for (const char* request : {"recover", "backup"})
        if (body.contains(request) && !body[request].is_object()) bad_request(std::string("\"") + request + "\" must be a JSON object");
    if (body.contains("plan")) check_plan_shape(body["plan"]);
    const std::string agent_id = body["agent"].get<std::string>();
    const auto agent = store_.agent(agent_id);
    if (!agent) not_found("no agent \"" + agent_id + "\"");
    // One job at a time per machine: the agent refuses a second one as busy anyway.
    if (const auto unfinished = store_.unfinished_job(agent_id))
        conflict("agent " + agent_id + " has an unfinished job, " + unfinished->id + " (" + unfinished->state + "); cancel it or wait for it");
    FileGrant grant;  // a recovery reads its generation chain, a backup writes its one file too
    json plan = body.contains("plan")    ? body["plan"]
                : body.contains("recover") ? recovery_plan_for(*agent, body["recover"], grant)
                                           : backup_plan_for(*agent, body["backup"], grant);
    if (!body.contains("plan")) check_plan_shape(plan);
    // A dry run answers with the plan the agent would be given, and queues nothing.
    if (dry_run) return {200, {{"dry_run", true}, {"agent", agent_id}, {"plan", std::move(plan)}}, ""};
    const std::string id = store_.submit_job(agent_id, plan, now, grant);
    hooks_.job_submitted(agent_id, id);
    return {201, {{"id", id}}, ""};
}

ApiResponse Api::list_jobs(const Query& query) {
    std::optional<std::string> agent;
    if (const auto found = query.find("agent"); found != query.end()) agent = found->second;
    json jobs = json::array();
    for (const JobRecord& job : store_.jobs(agent, jobs_per_answer)) jobs.push_back(job_summary(job));
    return {200, {{"jobs", std::move(jobs)}}, ""};
}

ApiResponse Api::show_job(const std::string& id, bool viewer) {
    const JobRecord job = existing_job(id);
    json out = job_summary(job);
    out["plan"] = viewer ? without_grant_keys(job.plan, settings_.files_url) : job.plan;
    return {200, std::move(out), ""};
}

ApiResponse Api::job_events(const std::string& id, const Query& query) {
    const std::int64_t after = sequence_parameter(query, "after");
    const JobRecord job = existing_job(id);
    json events = json::array();
    EventPage page = store_.events(id, after, events_per_answer, event_bytes_per_answer);
    for (auto& [seq, event] : page.events) events.push_back({{"seq", seq}, {"event", std::move(event)}});
    return {200, {{"job", job.id}, {"state", job.state}, {"events", std::move(events)}, {"more", page.more}}, ""};
}

ApiResponse Api::cancel_job(const std::string& id, std::int64_t now) {
    const JobRecord job = existing_job(id);
    if (finished_states.count(job.state)) conflict("job " + id + " is " + job.state + " already");
    if (job.state == "queued") {
        // No agent holds it yet: nothing to stop, and it must never be offered now.
        store_.set_job_state(id, "cancelled", now, "cancelled by the operator before an agent took it");
        return {202, {{"id", id}, {"state", "cancelled"}}, ""};
    }
    // Offered or running: the agent stops at its next safe point and reports how it ended.
    hooks_.job_cancel_requested(job.agent_id, id);
    return {202, {{"id", id}, {"state", job.state}}, ""};
}

}  // namespace dagda::controller
