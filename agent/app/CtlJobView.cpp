// A job as `dagda ctl` shows it: its record as text, and live: the events the agent sent, read
// from the controller every half second and drawn by the same JobReport `dagda run` uses, so a
// job looks the same at the machine and at the operator's desk.

#include "app/CtlSession.hpp"

#include "app/JobReport.hpp"
#include "core/Error.hpp"
#include "jobs/JobRunner.hpp"

#include <chrono>
#include <iostream>
#include <set>
#include <thread>

namespace dagda::app {

using nlohmann::json;

namespace {

constexpr auto poll_interval = std::chrono::milliseconds(500);
constexpr int unreachable_polls = 60;            // about two minutes of a controller restart or a network cut

const std::set<std::string> finished_states{"succeeded", "failed", "cancelled", "refused"};

std::string text_or(const json& object, const char* key, const std::string& otherwise) {
    const auto found = object.find(key);
    return found != object.end() && found->is_string() ? found->get<std::string>() : otherwise;
}

std::size_t step_count(const json& job) {
    const json plan = job.value("plan", json::object());
    return plan.is_object() && plan.contains("steps") && plan["steps"].is_array() ? plan["steps"].size() : 0;
}

/// The job's event answer, tolerating a controller that is briefly unreachable (restarting):
/// the job goes on at the agent either way. nullopt means "ask again".
std::optional<json> poll_events(ControllerClient& client, const std::string& id, std::int64_t after, int& failures) {
    try {
        json answer = client.get("/api/jobs/" + id + "/events?after=" + std::to_string(after));
        failures = 0;
        return answer;
    } catch (const Error& e) {
        if (++failures > unreachable_polls) throw;
        if (failures == 1) std::cerr << "\ndagda ctl: " << e.what() << "; still trying\n";
        std::this_thread::sleep_for(std::chrono::seconds(2));
        return std::nullopt;
    }
}

void say_waiting(const std::string& state, const json& job) {
    const std::string agent = text_or(job, "agent", "the agent");
    if (state == "queued") std::cout << text_or(job, "id", "the job") << " is queued: " << agent << " gets it when it is connected and idle\n";
    if (state == "offered") std::cout << text_or(job, "id", "the job") << " is offered to " << agent << "\n";
    std::cout << std::flush;
}

int ending(const json& job) {
    const std::string state = text_or(job, "state", "?");
    std::cout << "\nJob " << text_or(job, "id", "?") << " " << state;
    if (job.contains("reason") && job["reason"].is_string()) std::cout << ": " << job["reason"].get<std::string>();
    std::cout << "\n" << std::flush;
    if (state == "succeeded") return 0;
    if (state == "cancelled") return exit_code(ErrorKind::cancelled);
    if (state == "refused") return exit_code(ErrorKind::refused);
    return exit_code(ErrorKind::failed);
}

}  // namespace

void print_job(const json& job) {
    std::cout << text_or(job, "id", "?") << ": " << text_or(job, "state", "?") << " (" << text_or(job, "agent", "?") << ")\n"
              << "  created " << controller_time(job.value("created", std::int64_t{0})) << ", updated "
              << controller_time(job.value("updated", std::int64_t{0})) << ", events held: " << job.value("acked", std::int64_t{0}) << "\n";
    if (job.contains("reason") && job["reason"].is_string()) std::cout << "  reason: " << job["reason"].get<std::string>() << "\n";
    const json plan = job.value("plan", json::object());
    if (!plan.is_object()) return;
    std::cout << "  plan: " << text_or(plan, "name", "(no name)") << "\n";
    std::size_t number = 0;
    for (const json& step : plan.value("steps", json::array())) {
        std::cout << "    " << ++number << ". " << (step.is_object() ? text_or(step, "step", "?") : "?");
        if (step.is_object() && step.contains("disk") && step["disk"].is_string()) std::cout << " (disk " << step["disk"].get<std::string>() << ")";
        std::cout << "\n";
    }
}

int watch_job(ControllerClient& client, const std::string& id) {
    const json job = client.get("/api/jobs/" + id);
    JobReport report(JobReport::Style::text, std::cout, step_count(job));
    std::int64_t after = 0;
    std::string shown_state;
    int failures = 0;
    for (;;) {
        const std::optional<json> answer = poll_events(client, id, after, failures);
        if (!answer) continue;
        const json events = answer->value("events", json::array());
        for (const json& item : events) {
            after = std::max(after, item.value("seq", after));
            if (const auto event = jobs::JobEvent::from_json(item.value("event", json::object()))) report.on_event(*event);
        }
        const std::string state = text_or(*answer, "state", "?");
        if (state != shown_state) say_waiting(state, job);
        shown_state = state;
        // More events are waiting (docs/api.md: "more"): ask at once, and end only once all are shown.
        if (answer->value("more", false)) continue;
        if (finished_states.count(state)) return ending(client.get("/api/jobs/" + id));
        std::this_thread::sleep_for(poll_interval);
    }
}

}  // namespace dagda::app
