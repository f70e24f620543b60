// /api/recoveries: recoveries of a server to a new VM (docs/api.md, "Recoveries";
// docs/vm-recovery.md). A POST plans the recovery as data (VmRecoveryOrder) and queues it for the
// recovery runner, or with "dry_run" only shows the plan; nothing is made on the hypervisor here.

#include "controller/Api.hpp"
#include "controller/ApiError.hpp"
#include "controller/PushButtonOrder.hpp"
#include "controller/RecoveryStore.hpp"
#include "controller/ReplicaCatalog.hpp"
#include "controller/VmRecoveryOrder.hpp"
#include "core/Error.hpp"
#include "recovery/ServerArchives.hpp"

namespace dagda::controller {

using nlohmann::json;

namespace {

json recovery_json(const RecoveryRecord& r) {
    json out{{"id", r.id},           {"state", r.state},     {"server", r.order["server"]}, {"generation", r.order["generation"]},
             {"vm", r.order["vm"]},  {"hypervisor", r.order["hypervisor"]["name"]},     {"mode", r.order["mode"]},
             {"steps", r.order["steps"]}, {"next_step", r.next_step}, {"made", r.made}, {"created", r.created}, {"updated", r.updated}};
    if (r.order.contains("replica")) out["replica"] = r.order["replica"];
    if (r.made.contains("freeze_window_seconds")) out["freeze_window_seconds"] = r.made["freeze_window_seconds"];
    if (!r.reason.empty()) out["reason"] = r.reason;
    return out;
}

}  // namespace

RecoveryStore& Api::recoveries() {
    if (!recoveries_) not_found("this controller keeps no recoveries (no database path was given to its API)");
    return *recoveries_;
}

ApiResponse Api::submit_recovery(const json& body, std::int64_t now) {
    json request = body;
    // A dry run asked for in a way not understood must not run for real.
    if (request.contains("dry_run") && !request["dry_run"].is_boolean()) bad_request("\"dry_run\" is true or false");
    const bool dry_run = request.contains("dry_run") && request["dry_run"].get<bool>();
    request.erase("dry_run");
    if (!request.contains("server") || !request["server"].is_string()) bad_request("a recovery needs \"server\" (a server of the archive store)");
    // From a bucket, the recovery reads the generation straight from the store (docs/archive-store.md).
    const bool bucket = settings_.archive_store && std::string(settings_.archive_store->kind()) == "bucket";
    if (!bucket && settings_.archives_dir.empty()) bad_request("this controller serves no archive folder or store");
    const json& to = request.contains("to") && request["to"].is_object() ? request["to"] : json::object();
    if (!to.contains("vm") || !to["vm"].is_object() || !to["vm"].contains("hypervisor") || !to["vm"]["hypervisor"].is_string())
        bad_request("a recovery needs \"to\": {\"vm\": {\"hypervisor\": NAME, \"name\": NEW, …}}");
    const auto hypervisor = store_.hypervisor(to["vm"]["hypervisor"].get<std::string>());
    if (!hypervisor) bad_request("no hypervisor named \"" + to["vm"]["hypervisor"].get<std::string>().substr(0, 64) + "\" (dagda ctl hypervisor add)");
    json order;
    const bool push_button = request.contains("from");
    try {
        const recovery::ServerSummary server = bucket ? settings_.archive_store->server(request["server"].get<std::string>())
                                                      : recovery::server_in(settings_.archives_dir, request["server"].get<std::string>());
        if (push_button) {
            // The replica as its adapter last described it (the built-in's now); the recovery's
            // first step asks the adapter again before anything is frozen or written.
            std::vector<ReplicaSession> sessions;
            std::string unanswered;  // adapters whose last discover failed: their sessions are not known
            for (AdapterListing& listed : replicas().listing()) {
                sessions.insert(sessions.end(), listed.sessions.begin(), listed.sessions.end());
                if (!listed.error.empty()) unanswered += "; " + listed.error;
            }
            ReplicaSession replica;
            try {
                replica = replica_for(request, sessions);
            } catch (const Error& e) {
                throw Error(ErrorKind::usage, e.what() + unanswered);
            }
            order = push_button_order(request, server, *hypervisor, replica, settings_.archives_dir, !settings_.helper_iso.empty());
        } else {
            order = vm_recovery_order(request, server, *hypervisor, settings_.archives_dir, !settings_.helper_iso.empty());
        }
    } catch (const Error& e) {
        bad_request(e.what());
    }
    if (push_button && !dry_run)
        for (const RecoveryRecord& other : recoveries().list())
            if (is_push_button(other.order) && other.order["server"] == order["server"] && (other.state == "queued" || other.state == "running"))
                conflict("a push button recovery of " + order["server"].get<std::string>() + " is under way already: " + other.id);
    if (dry_run) return {200, {{"dry_run", true}, {"plan", describe_order(order)}, {"order", order}}, ""};
    const std::string id = recoveries().add(order, now);
    hooks_.recovery_queued();
    return {201, {{"id", id}, {"state", "queued"}, {"plan", describe_order(order)}}, ""};
}

ApiResponse Api::clean_up_recovery(const std::string& id, std::int64_t now) {
    const auto found = recoveries().get(id);
    if (!found) not_found("no recovery \"" + id.substr(0, 64) + "\"");
    if (found->state != "failed") conflict(id + " is " + found->state + ": only a failed recovery is cleaned up (a succeeded one's VM is the operator's)");
    recoveries().set_state(id, "cleaning", now, found->reason);
    hooks_.recovery_queued();
    return {202, {{"id", id}, {"state", "cleaning"}, {"removes", found->made}}, ""};
}

ApiResponse Api::cancel_recovery(const std::string& id, std::int64_t now) {
    const auto found = recoveries().get(id);
    if (!found) not_found("no recovery \"" + id.substr(0, 64) + "\"");
    // A queued one ends here, unless the runner started it in the meantime (one statement
    // decides); a running one is ended by the runner at its next safe point.
    if (found->state == "queued" && recoveries().change_state(id, "queued", "cancelled", now, "cancelled by the operator before it started")) {
        recoveries().add_event(id, {{"event", "recovery_cancelled"}, {"at", now}});
        return {200, {{"id", id}, {"state", "cancelled"}}, ""};
    }
    const auto now_found = recoveries().get(id);
    if (!now_found || now_found->state != "running")
        conflict(id + " is " + (now_found ? now_found->state : "gone") + ": only a queued or running recovery is cancelled");
    // Kept in the database as well as told to the runner: a controller restarted before the
    // runner's next safe point fails the recovery as cancelled when it resumes it.
    recoveries().add_event(id, {{"event", "recovery_cancel_requested"}, {"at", now}});
    hooks_.recovery_cancel_requested(id);
    return {202, {{"id", id}, {"state", "running"}, {"cancelling", true}}, ""};
}

ApiResponse Api::list_recoveries() {
    json list = json::array();
    for (const RecoveryRecord& r : recoveries().list()) list.push_back(recovery_json(r));
    return {200, {{"recoveries", list}}, ""};
}

ApiResponse Api::show_recovery(const std::string& id) {
    const auto found = recoveries().get(id);
    if (!found) not_found("no recovery \"" + id.substr(0, 64) + "\"");
    return {200, recovery_json(*found), ""};
}

ApiResponse Api::recovery_events(const std::string& id, const Query& query) {
    if (!recoveries().get(id)) not_found("no recovery \"" + id.substr(0, 64) + "\"");
    std::int64_t after = 0;
    if (const auto given = query.find("after"); given != query.end()) {
        try {
            after = std::stoll(given->second);
        } catch (const std::exception&) {
            bad_request("\"after\" is a number");
        }
    }
    return {200, {{"events", recoveries().events(id, after)}}, ""};
}

}  // namespace dagda::controller
