#pragma once
/// Runs a plan's steps in order with a journal, and is the one place where a step's failure
/// becomes a structured error (kind, step, message, details): nothing else in the agent catches
/// everything. On a journal that already holds part of the same plan it resumes: finished steps
/// are skipped, a checkpoint step continues from its saved state, and a step that edits in place
/// what an earlier step wrote is redone from that earlier step (jobs/Step.hpp, Resume).

#include "jobs/Journal.hpp"
#include "jobs/Plan.hpp"
#include "jobs/Step.hpp"

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dagda::jobs {

struct JobEvent {
    enum class Kind { job_started, job_resumed, step_started, step_progress, step_said, step_skipped, step_finished, step_failed,
                      job_finished };
    Kind kind = Kind::job_started;
    std::size_t step = 0;      ///< 0-based; meaningful for step_* events
    std::string name;          ///< the step's name
    std::uint64_t done = 0, total = 0;
    double rate = 0;           ///< per second since the step started (step_progress)
    std::string text;          ///< the action, a line said, or the error message
    double seconds = 0;        ///< how long the step took (step_finished, step_failed)

    /// One JSON object ({"event": "step_progress", …}): the agent's machine-readable stream.
    nlohmann::json to_json() const;
    /// The event to_json() wrote, read back (what `dagda ctl watch` gets from the controller);
    /// nullopt for another kind of object (a "summary") or one that is not an event. Missing or
    /// mistyped keys read as empty: the text came over the network.
    static std::optional<JobEvent> from_json(const nlohmann::json& event);
};

const char* to_string(JobEvent::Kind kind) noexcept;

struct StepFailure {
    std::string kind;     ///< failed, refused, usage, cancelled
    std::size_t step = 0;
    std::string name;
    std::string message;
    nlohmann::json details = nlohmann::json::object();
    nlohmann::json to_json() const;
};

struct StepTiming {
    std::size_t step = 0;
    std::string name;
    double seconds = 0;
    bool skipped = false;  ///< finished in an earlier run of the job
};

struct JobResult {
    bool succeeded = false;
    std::optional<StepFailure> failure;
    std::vector<StepTiming> timings;
};

class JobRunner {
public:
    /// `cancel` (may be null) is polled by steps through StepContext::check_cancel.
    JobRunner(const StepRegistry& registry, std::function<void(const JobEvent&)> on_event, const std::atomic<bool>* cancel);

    /// Every problem of the plan: unknown steps, bad arguments, disks absent or not matching,
    /// archives unreadable, volumes not fitting. Empty when it may run.
    std::vector<std::string> validate(const Plan& plan) const;
    /// The actions of every step, for the operator to read before confirming.
    std::vector<std::string> describe(const Plan& plan) const;
    /// Runs (or resumes) the plan, recording in `journal`. Throws Error{refused} when the journal
    /// belongs to another plan; every step failure is returned in the result, not thrown.
    JobResult run(const Plan& plan, Journal& journal);

private:
    const StepSpec& spec(const PlanStep& step) const;

    void emit(const JobEvent& event) const;

    const StepRegistry& registry_;
    std::function<void(const JobEvent&)> on_event_;
    const std::atomic<bool>* cancel_;
};

}  // namespace dagda::jobs
