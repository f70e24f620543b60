#include "jobs/JobRunner.hpp"

#include "core/Error.hpp"

#include <chrono>
#include <optional>

namespace dagda::jobs {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

/// What the journal says about each step of the plan.
struct JournalState {
    std::vector<bool> done;
    std::vector<nlohmann::json> state;
    std::vector<nlohmann::json> left;        ///< what each finished step left (null: not recorded)
    std::optional<std::size_t> interrupted;  ///< started, neither finished nor rolled back
    bool finished = false;
};

JournalState replay(const std::vector<nlohmann::json>& records, std::size_t steps) {
    JournalState s{std::vector<bool>(steps, false), std::vector<nlohmann::json>(steps), std::vector<nlohmann::json>(steps), std::nullopt, false};
    for (const nlohmann::json& record : records) {
        const std::string type = record.value("type", "");
        const std::size_t step = record.value("step", std::size_t{0});
        if (type == "job_finished") s.finished = true;
        if (type != "job_finished" && type != "job" && step >= steps) continue;  // not this plan's; the plan check catches it
        if (type == "step_started") s.interrupted = step;
        if (type == "step_state") s.state[step] = record.at("state");
        if (type == "step_finished") {
            s.done[step] = true;
            s.left[step] = record.value("left", nlohmann::json());
            s.interrupted.reset();
        }
        if (type == "rollback") {
            for (std::size_t i = step; i < steps; ++i) {
                s.done[i] = false;
                s.state[i] = nullptr;
                s.left[i] = nullptr;
            }
            s.interrupted.reset();
            s.finished = false;  // a finished job found on another disk starts over
        }
    }
    return s;
}

/// The "what" of a fingerprint, for the operator.
std::string what_of(const nlohmann::json& fingerprint) {
    const auto found = fingerprint.find("what");
    return found != fingerprint.end() && found->is_string() ? found->get<std::string>() : fingerprint.dump();
}

/// A finished step whose disk no longer holds what it left.
struct Mismatch {
    std::size_t step = 0;
    std::string reason;
};

/// What `step` left on its disk now (its StepSpec::fingerprint); nullopt when it has none.
std::optional<nlohmann::json> fingerprint(const StepRegistry& registry, const PlanStep& step) {
    const StepSpec* spec = registry.find(step.name);
    if (!spec || !spec->fingerprint) return std::nullopt;
    return spec->fingerprint(step.args);
}

/// The first finished step whose disk does not hold what the journal says it left.
std::optional<Mismatch> first_mismatch(const StepRegistry& registry, const Plan& plan, const JournalState& state) {
    for (const PlanStep& step : plan.steps) {
        if (!state.done[step.index]) continue;
        const nlohmann::json& left = state.left[step.index];
        std::optional<nlohmann::json> now;
        try {
            now = fingerprint(registry, step);
        } catch (const std::exception& e) {
            // An unreadable or vanished result is not the result: the step is done again, and a
            // disk that cannot be read fails there with its own error.
            return Mismatch{step.index, Plan::label(step) + " left " + (left.is_null() ? "something not recorded" : what_of(left)) +
                                            ", which cannot be read back now (" + e.what() + ")"};
        }
        if (!now) continue;  // it leaves nothing on a disk
        if (left.is_null())
            return Mismatch{step.index, Plan::label(step) + " finished, but does not record what it left (an older dagda wrote it), so it "
                                        "cannot be checked against " + what_of(*now)};
        if (*now != left) return Mismatch{step.index, Plan::label(step) + " left " + what_of(left) + ", but the disk now holds " + what_of(*now)};
    }
    return std::nullopt;
}

class RunningStep : public StepContext {
public:
    RunningStep(const PlanStep& step, Journal& journal, std::function<void(const JobEvent&)> emit,
                const std::atomic<bool>* cancel, nlohmann::json saved)
        : step_(step), journal_(journal), emit_(std::move(emit)), cancel_(cancel), saved_(std::move(saved)), start_(Clock::now()) {}

    void progress(std::uint64_t done, std::uint64_t total, const std::string& action) override {
        // At most ten events a second, and always the last one: the stream stays readable.
        const auto now = Clock::now();
        if (done < total && now - last_progress_ < std::chrono::milliseconds(100)) return;
        last_progress_ = now;
        JobEvent event{JobEvent::Kind::step_progress, step_.index, step_.name, done, total, 0, action, 0};
        // A resumed step's `done` counts what it did before the restart: its rate, and the time
        // left from it, count only what this run did since it began.
        if (!done_at_start_) done_at_start_ = saved_.is_null() ? 0 : done;
        const double elapsed = seconds_since(start_);
        event.rate = elapsed > 0 && done > *done_at_start_ ? static_cast<double>(done - *done_at_start_) / elapsed : 0;
        emit_(event);
    }
    void say(const std::string& line) override { emit_({JobEvent::Kind::step_said, step_.index, step_.name, 0, 0, 0, line, 0}); }
    void check_cancel() override {
        if (cancel_ && cancel_->load()) throw Error(ErrorKind::cancelled, "cancelled during " + Plan::label(step_));
    }
    const nlohmann::json& saved_state() const override { return saved_; }
    void save_state(const nlohmann::json& state) override {
        journal_.append({{"type", "step_state"}, {"step", step_.index}, {"state", state}});
        saved_ = state;
    }

private:
    const PlanStep& step_;
    Journal& journal_;
    std::function<void(const JobEvent&)> emit_;
    const std::atomic<bool>* cancel_;
    nlohmann::json saved_;
    Clock::time_point start_;
    std::optional<std::uint64_t> done_at_start_;  ///< `done` when this run of the step began
    Clock::time_point last_progress_{};
};

}  // namespace

const char* to_string(JobEvent::Kind kind) noexcept {
    switch (kind) {
        case JobEvent::Kind::job_started: return "job_started";
        case JobEvent::Kind::job_resumed: return "job_resumed";
        case JobEvent::Kind::step_started: return "step_started";
        case JobEvent::Kind::step_progress: return "step_progress";
        case JobEvent::Kind::step_said: return "step_said";
        case JobEvent::Kind::step_skipped: return "step_skipped";
        case JobEvent::Kind::step_finished: return "step_finished";
        case JobEvent::Kind::step_failed: return "step_failed";
        case JobEvent::Kind::job_finished: return "job_finished";
    }
    return "?";
}

nlohmann::json JobEvent::to_json() const {
    nlohmann::json out{{"event", to_string(kind)}};
    if (kind != Kind::job_started && kind != Kind::job_resumed && kind != Kind::job_finished) {
        out["step"] = step + 1;
        out["name"] = name;
    }
    if (kind == Kind::step_progress) {
        out["done"] = done;
        out["total"] = total;
        out["rate"] = rate;
    }
    if (!text.empty()) out["text"] = text;
    if (kind == Kind::step_finished || kind == Kind::step_failed) out["seconds"] = seconds;
    return out;
}

std::optional<JobEvent> JobEvent::from_json(const nlohmann::json& event) {
    if (!event.is_object() || !event.contains("event") || !event["event"].is_string()) return std::nullopt;
    JobEvent out;
    const std::string kind = event["event"].get<std::string>();
    bool known = false;
    for (const Kind k : {Kind::job_started, Kind::job_resumed, Kind::step_started, Kind::step_progress, Kind::step_said, Kind::step_skipped,
                         Kind::step_finished, Kind::step_failed, Kind::job_finished})
        if (kind == to_string(k)) {
            out.kind = k;
            known = true;
        }
    if (!known) return std::nullopt;
    const auto number = [&event](const char* key) -> const nlohmann::json* {
        const auto found = event.find(key);
        return found != event.end() && found->is_number() ? &*found : nullptr;
    };
    const auto text = [&event](const char* key) {
        const auto found = event.find(key);
        return found != event.end() && found->is_string() ? found->get<std::string>() : std::string();
    };
    if (const auto* step = number("step"); step && step->is_number_unsigned() && step->get<std::uint64_t>() >= 1)
        out.step = static_cast<std::size_t>(step->get<std::uint64_t>() - 1);  // written 1-based
    if (const auto* done = number("done"); done && done->is_number_unsigned()) out.done = done->get<std::uint64_t>();
    if (const auto* total = number("total"); total && total->is_number_unsigned()) out.total = total->get<std::uint64_t>();
    if (const auto* rate = number("rate")) out.rate = rate->get<double>();
    if (const auto* seconds = number("seconds")) out.seconds = seconds->get<double>();
    out.name = text("name");
    out.text = text("text");
    return out;
}

nlohmann::json StepFailure::to_json() const {
    return {{"kind", kind}, {"step", step + 1}, {"name", name}, {"message", message}, {"details", details}};
}

JobRunner::JobRunner(const StepRegistry& registry, std::function<void(const JobEvent&)> on_event, const std::atomic<bool>* cancel)
    : registry_(registry), on_event_(std::move(on_event)), cancel_(cancel) {}

void JobRunner::emit(const JobEvent& event) const {
    if (on_event_) on_event_(event);
}

const StepSpec& JobRunner::spec(const PlanStep& step) const {
    const StepSpec* found = registry_.find(step.name);
    if (!found) throw Error(ErrorKind::usage, Plan::label(step) + ": no such step");
    return *found;
}

std::vector<std::string> JobRunner::validate(const Plan& plan) const {
    std::vector<std::string> problems;
    for (const PlanStep& step : plan.steps) {
        const StepSpec* found = registry_.find(step.name);
        if (!found) {
            std::string known;
            for (const std::string& name : registry_.names()) known += (known.empty() ? "" : ", ") + name;
            problems.push_back(Plan::label(step) + ": unknown step; known steps: " + known);
            continue;
        }
        try {
            for (const std::string& problem : found->validate(step.args)) problems.push_back(Plan::label(step) + ": " + problem);
        } catch (const std::exception& e) {
            problems.push_back(Plan::label(step) + ": " + e.what());
        }
    }
    return problems;
}

std::vector<std::string> JobRunner::describe(const Plan& plan) const {
    std::vector<std::string> lines;
    for (const PlanStep& step : plan.steps) {
        lines.push_back(std::to_string(step.index + 1) + ". " + step.name);
        for (const std::string& action : spec(step).describe(step.args)) lines.push_back("   " + action);
    }
    return lines;
}

JobResult JobRunner::run(const Plan& plan, Journal& journal) {
    const std::vector<nlohmann::json>& records = journal.opened().records;
    JournalState state = replay(records, plan.steps.size());
    if (records.empty()) {
        journal.append({{"type", "job"}, {"plan", plan.document}});
        emit({JobEvent::Kind::job_started, 0, plan.name, 0, 0, 0, "", 0});
    } else if (records.front().value("type", "") != "job" || records.front().value("plan", nlohmann::json()) != plan.document) {
        throw Error(ErrorKind::refused, "the journal " + journal.path() + " records another plan; give a new --journal for this one (nothing was written)");
    } else if (const auto mismatch = first_mismatch(registry_, plan, state)) {
        // A journal belongs to the disk it wrote. This one is not (a blank disk of the same
        // identity, a disk restored or wiped since): nothing it says was done is trusted, and the
        // whole job runs again, which is what it would do on a fresh journal.
        const std::string reason = "the journal " + journal.path() + " says " + mismatch->reason + "; starting the job over";
        journal.append({{"type", "rollback"}, {"step", 0}, {"reason", reason}});
        state = replay(read_journal(journal.path()).records, plan.steps.size());
        emit({JobEvent::Kind::job_started, 0, plan.name, 0, 0, 0, reason, 0});
    } else {
        emit({JobEvent::Kind::job_resumed, 0, plan.name, 0, 0, 0, "resuming from " + journal.path(), 0});
    }
    JobResult result;
    if (state.finished) {
        emit({JobEvent::Kind::job_finished, 0, plan.name, 0, 0, 0, "the journal says this job is complete", 0});
        result.succeeded = true;
        return result;
    }
    if (state.interrupted && spec(plan.steps[*state.interrupted]).resume == Resume::rebuild) {
        // Undo an in-place edit cut short: redo the checkpoint step that wrote what it edits.
        const PlanStep& cut = plan.steps[*state.interrupted];
        const std::string target = spec(cut).writes ? spec(cut).writes(cut.args) : "";
        // The earliest such step: several restores may have written parts of the same disk.
        std::optional<std::size_t> from;
        for (std::size_t i = 0; i < *state.interrupted; ++i) {
            const StepSpec& earlier = spec(plan.steps[i]);
            if (earlier.resume == Resume::checkpoint && earlier.writes && earlier.writes(plan.steps[i].args) == target) {
                from = i;
                break;
            }
        }
        if (from) {
            journal.append({{"type", "rollback"}, {"step", *from}});
            state = replay(read_journal(journal.path()).records, plan.steps.size());
        }
    }
    for (const PlanStep& step : plan.steps) {
        if (state.done[step.index]) {
            emit({JobEvent::Kind::step_skipped, step.index, step.name, 0, 0, 0, "finished in an earlier run", 0});
            result.timings.push_back({step.index, step.name, 0, true});
            continue;
        }
        const Clock::time_point start = Clock::now();
        if (cancel_ && cancel_->load()) {
            // Cancelled between steps: this one did not start, so a rerun need not undo anything.
            StepFailure failure{"cancelled", step.index, step.name, "cancelled before " + Plan::label(step), nlohmann::json::object()};
            emit({JobEvent::Kind::step_failed, step.index, step.name, 0, 0, 0, failure.message, 0});
            result.failure = std::move(failure);
            return result;
        }
        journal.append({{"type", "step_started"}, {"step", step.index}});
        emit({JobEvent::Kind::step_started, step.index, step.name, 0, 0, 0, "", 0});
        try {
            RunningStep context(step, journal, [this](const JobEvent& event) { emit(event); }, cancel_, state.state[step.index]);
            context.check_cancel();
            spec(step).run(step.args, context);
            // Read back once it is done: the journal records it with the step, for reruns.
            if (auto left = fingerprint(registry_, step)) state.left[step.index] = std::move(*left);
        } catch (const std::exception& e) {  // the one catch boundary of a job (style guide B5)
            const auto* error = dynamic_cast<const Error*>(&e);
            StepFailure failure{error ? to_string(error->kind()) : "failed", step.index, step.name, e.what(), nlohmann::json::object()};
            journal.append({{"type", "step_failed"}, {"step", step.index}, {"error", failure.to_json()}});
            emit({JobEvent::Kind::step_failed, step.index, step.name, 0, 0, 0, e.what(), seconds_since(start)});
            result.failure = std::move(failure);
            return result;
        }
        const double took = seconds_since(start);
        nlohmann::json finished{{"type", "step_finished"}, {"step", step.index}, {"seconds", took}};
        if (!state.left[step.index].is_null()) finished["left"] = state.left[step.index];
        journal.append(finished);
        state.done[step.index] = true;
        emit({JobEvent::Kind::step_finished, step.index, step.name, 0, 0, 0, "", took});
        result.timings.push_back({step.index, step.name, took, false});
    }
    // Never "finished" on a disk that does not hold the job: every step's result is read back
    // once more, so that a later step that undid an earlier one's is a failure, not a success
    // the next run would have to start over from.
    if (const auto mismatch = first_mismatch(registry_, plan, state)) {
        const PlanStep& step = plan.steps[mismatch->step];
        StepFailure failure{"failed", step.index, step.name, "after the last step, " + mismatch->reason, nlohmann::json::object()};
        journal.append({{"type", "step_failed"}, {"step", step.index}, {"error", failure.to_json()}});
        emit({JobEvent::Kind::step_failed, step.index, step.name, 0, 0, 0, failure.message, 0});
        result.failure = std::move(failure);
        return result;
    }
    journal.append({{"type", "job_finished"}});
    emit({JobEvent::Kind::job_finished, 0, plan.name, 0, 0, 0, "", 0});
    result.succeeded = true;
    return result;
}

}  // namespace dagda::jobs
