// The controller's side of helper mode (HelperControl): the recovery runner's thread asks, the
// I/O thread, which alone touches the Store and the agents' connections, answers.

#include "controller/ControllerServer.hpp"

#include "core/Error.hpp"

#include <boost/asio/post.hpp>

#include <fstream>
#include <future>
#include <sstream>

namespace dagda::controller {

template <class Work>
auto ControllerServer::on_io_thread(Work work) -> decltype(work()) {
    using Result = decltype(work());
    auto task = std::make_shared<std::packaged_task<Result()>>(std::move(work));
    std::future<Result> answer = task->get_future();
    boost::asio::post(io_, [task] { (*task)(); });
    while (answer.wait_for(std::chrono::milliseconds(200)) != std::future_status::ready)
        if ((io_.stopped() || closing_) && answer.wait_for(std::chrono::seconds(0)) != std::future_status::ready) throw ControllerStopping();
    return answer.get();
}

HelperTrust ControllerServer::helper_trust() {
    return on_io_thread([this] {
        std::ifstream in(ca_file_);
        std::ostringstream ca;
        ca << in.rdbuf();
        return HelperTrust{settings_.public_url, pin_, ca.str(), files_url_};
    });
}

std::string ControllerServer::renew_token(const std::string& enrolment) {
    return on_io_thread([this, enrolment] { return store_.renew_token(enrolment); });
}

std::optional<AgentPresence> ControllerServer::agent(const std::string& agent_id) {
    return on_io_thread([this, agent_id]() -> std::optional<AgentPresence> {
        auto record = store_.agent(agent_id);
        if (!record) return std::nullopt;
        return AgentPresence{std::move(*record), connected_.count(agent_id) != 0};
    });
}

std::string ControllerServer::submit_job(const std::string& agent_id, const nlohmann::json& plan, const FileGrant& grant) {
    return on_io_thread([this, agent_id, plan, grant] {
        // The helper's agent runs only recoveries' jobs: one that is still unfinished is this
        // recovery's own (submitted just before a controller was killed), taken as it is, or a
        // leftover of another, which must not run first on these disks.
        if (const auto unfinished = store_.unfinished_job(agent_id)) {
            if (unfinished->plan.value("name", "") == plan.value("name", "")) return unfinished->id;
            if (unfinished->state == "queued") store_.set_job_state(unfinished->id, "cancelled", now(), "cancelled: a newer recovery uses the helper");
            else job_cancel_requested(agent_id, unfinished->id);
        }
        const std::string id = store_.submit_job(agent_id, plan, now(), grant);
        job_submitted(agent_id, id);
        return id;
    });
}

std::optional<JobRecord> ControllerServer::job(const std::string& id) {
    return on_io_thread([this, id] { return store_.job(id); });
}

EventPage ControllerServer::job_events(const std::string& id, std::int64_t after) {
    return on_io_thread([this, id, after] { return store_.events(id, after, 1000, 1u << 20); });
}

void ControllerServer::cancel_job(const std::string& id) {
    on_io_thread([this, id] {
        const auto job = store_.job(id);
        if (!job) return;
        if (job->state == "queued") store_.set_job_state(id, "cancelled", now(), "cancelled: the recovery that ordered it ended");
        else if (job->state == "offered" || job->state == "running") job_cancel_requested(job->agent_id, id);
    });
}

}  // namespace dagda::controller
