#pragma once
/// The agent's job side: takes the jobs its controller offers, runs one at a time on a worker
/// thread with the same PlanSession and JobRunner as `dagda run`, and records every event in the
/// outbox before the link sends it (docs/protocol.md, "Events"). The link thread calls the
/// LinkHandler functions and never waits here: validation, the journal and the outbox's fsyncs
/// all happen on the worker thread.

#include "image/source/HttpsTrust.hpp"
#include "jobs/Outbox.hpp"
#include "link/AgentLink.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace dagda::app {

class AgentJobs : public link::LinkHandler {
public:
    /// `state_dir` holds the outbox, each job's journal and the marks of finished jobs; it must
    /// survive an agent restart (and a reboot, for plans that reboot).
    /// `controller` names the controller (its pin or CA file): jobs are kept per controller.
    /// `https_trust` is how the jobs' steps verify https archives (the controller's own origin by
    /// its pin or CA).
    AgentJobs(std::string state_dir, const std::string& controller, image::HttpsTrust https_trust);
    ~AgentJobs() override;

    /// Stops a running job at its next safe point without recording a result, so the next
    /// offer resumes it from its journal; waits for the worker. Called before the link goes.
    void shutdown();

    /// Events not yet acknowledged when the agent started.
    std::vector<jobs::PendingEvent> unacknowledged() const { return outbox_.pending(); }
    void attach(link::AgentLink& link) { link_ = &link; }

    void job_offered(const std::string& job, const nlohmann::json& plan) override;
    void cancel_requested(const std::string& job) override;
    void events_acknowledged(const std::string& job, std::uint64_t upto) override;
    std::optional<std::string> current_job() override;

private:
    void run_job(const std::string& job, const nlohmann::json& plan);
    void record(const std::string& job, const nlohmann::json& event);
    std::string finished_mark(const std::string& job) const;
    /// A line of the job side's story: on stderr and in the controller's log.
    void say(const std::string& level, const std::string& text);

    std::string state_dir_;
    image::HttpsTrust https_trust_;  ///< read by the worker thread only, never changed
    link::AgentLink* link_ = nullptr;
    jobs::Outbox outbox_;  ///< worker thread only (and the constructor)
    std::mutex mutex_;     ///< guards current_ and acks_
    std::optional<std::string> current_;
    std::map<std::string, std::uint64_t> acks_;  ///< acknowledgements to write to the outbox
    std::atomic<bool> cancel_{false};
    std::atomic<bool> stopping_{false};  ///< shutdown(): a stop is not the operator's cancel
    std::string jobs_dir_;
    std::thread worker_;
};

}  // namespace dagda::app
