#include "app/AgentJobs.hpp"

#include "app/PlanSession.hpp"
#include "core/Error.hpp"
#include "jobs/JobLock.hpp"
#include "jobs/JobRunner.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace dagda::app {

namespace {

/// Job ids name files here; the controller makes them, but the agent does not trust it that far.
bool usable_job_id(const std::string& id) {
    if (id.empty() || id.size() > 64 || id.front() == '.') return false;
    for (const char c : id)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
    return true;
}

/// A refusal's problems, bounded so the frame stays far below the protocol's 1 MiB.
nlohmann::json problems_json(const std::vector<std::string>& problems) {
    nlohmann::json out = nlohmann::json::array();
    for (const std::string& problem : problems) {
        if (out.size() == 50) {
            out.push_back("… and " + std::to_string(problems.size() - 50) + " more");
            break;
        }
        out.push_back(problem.size() > 2000 ? problem.substr(0, 2000) + "…" : problem);
    }
    return out;
}

/// The mark of a finished job, synced: with the result already in the outbox, it is what keeps a
/// restarted agent from running the job again.
void write_mark(const std::string& path, const std::string& text) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw_errno("cannot write " + path);
    const std::string line = text + "\n";
    const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!written) throw_errno("cannot write " + path);
}

}  // namespace

namespace {

/// A folder name for a controller: 16 hex digits of a CRC-free, stable hash of its trust anchor.
std::string controller_folder(const std::string& controller) {
    std::uint64_t hash = 1469598103934665603ull;  // FNV-1a: stable across builds, no secret here
    for (const unsigned char c : controller) hash = (hash ^ c) * 1099511628211ull;
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
    return text;
}

}  // namespace

AgentJobs::AgentJobs(std::string state_dir, const std::string& controller, image::HttpsTrust https_trust)
    : state_dir_((std::filesystem::create_directories(state_dir), std::move(state_dir))), https_trust_(std::move(https_trust)),
      outbox_(state_dir_ + "/outbox.dagda"),
      jobs_dir_(state_dir_ + "/jobs-" + controller_folder(controller)) {
    std::filesystem::create_directories(jobs_dir_);
}

AgentJobs::~AgentJobs() { shutdown(); }

void AgentJobs::shutdown() {
    stopping_ = true;
    cancel_ = true;
    if (worker_.joinable()) worker_.join();
}

std::string AgentJobs::finished_mark(const std::string& job) const { return jobs_dir_ + "/" + job + ".finished"; }

std::optional<std::string> AgentJobs::current_job() {
    std::lock_guard lock(mutex_);
    return current_;
}

void AgentJobs::cancel_requested(const std::string& job) {
    std::lock_guard lock(mutex_);
    if (current_ == job) cancel_ = true;
}

void AgentJobs::events_acknowledged(const std::string& job, std::uint64_t upto) {
    std::lock_guard lock(mutex_);
    auto& known = acks_[job];
    known = std::max(known, upto);
}

void AgentJobs::job_offered(const std::string& job, const nlohmann::json& plan) {
    std::lock_guard lock(mutex_);
    if (current_) {
        // The controller offers the job it believes unfinished after every reconnect.
        if (*current_ == job) link_->send({"job_accept", {{"job", job}}});
        else link_->send({"job_refuse", {{"job", job}, {"reason", "busy"}, {"problems", problems_json({"running " + *current_})}}});
        return;
    }
    if (!usable_job_id(job)) {
        link_->send({"job_refuse", {{"job", job}, {"reason", "invalid"}, {"problems", problems_json({"the job id is not a plain name"})}}});
        return;
    }
    if (std::filesystem::exists(finished_mark(job))) {
        // Finished before a restart; its result is in the outbox, resent until acknowledged.
        link_->send({"job_accept", {{"job", job}}});
        return;
    }
    if (worker_.joinable()) worker_.join();  // the previous job's thread has ended (current_ is empty)
    current_ = job;
    cancel_ = false;
    worker_ = std::thread([this, job, plan] { run_job(job, plan); });
}

void AgentJobs::record(const std::string& job, const nlohmann::json& event) {
    std::map<std::string, std::uint64_t> acks;
    {
        std::lock_guard lock(mutex_);
        acks.swap(acks_);
    }
    std::uint64_t seq = 0;
    try {
        for (const auto& [acked_job, upto] : acks) outbox_.acknowledge(acked_job, upto);
        seq = outbox_.add(job, event);
    } catch (...) {
        std::lock_guard lock(mutex_);  // keep the acknowledgements for the next try
        for (const auto& [acked_job, upto] : acks) acks_[acked_job] = std::max(acks_[acked_job], upto);
        throw;
    }
    link_->send_event({job, seq, event});
}

void AgentJobs::say(const std::string& level, const std::string& text) {
    std::cerr << "dagda agent: " << text << "\n";
    if (link_) link_->log(level, text);
}

void AgentJobs::run_job(const std::string& job, const nlohmann::json& plan) {
    nlohmann::json result{{"event", "job_result"}, {"outcome", "failed"}};
    bool accepted = false;
    try {
        PlanSession session(plan.dump(), "job " + job, https_trust_);
        // Progress is recorded at most once a second per step: each record is an fsync.
        std::map<std::size_t, std::chrono::steady_clock::time_point> last_progress;
        jobs::JobRunner runner(session.registry(), [&](const jobs::JobEvent& event) {
            if (event.kind == jobs::JobEvent::Kind::step_progress && event.done < event.total) {
                const auto now = std::chrono::steady_clock::now();
                auto& last = last_progress[event.step];
                if (now - last < std::chrono::seconds(1)) return;
                last = now;
            }
            record(job, event.to_json());
        }, &cancel_);
        const std::vector<std::string> problems = session.problems(runner);
        if (!problems.empty()) {
            for (const auto& problem : problems) say("error", "job " + job + ": " + problem);
            link_->send({"job_refuse", {{"job", job}, {"reason", "invalid"}, {"problems", problems_json(problems)}}});
        } else {
            const jobs::JobLock lock(default_run_folder());
            link_->send({"job_accept", {{"job", job}}});
            accepted = true;
            jobs::Journal journal(jobs_dir_ + "/" + job + ".journal");
            // A plan that changes a disk in place (a replica) keeps the disk's before-images.
            const std::unique_ptr<UndoJournal> undo = start_undo_journal(session.plan().undo_journal, session);
            const jobs::JobResult outcome = runner.run(session.plan(), journal);
            result["outcome"] = outcome.succeeded ? "succeeded" : outcome.failure && outcome.failure->kind == "cancelled" ? "cancelled" : "failed";
            if (outcome.failure) result["failure"] = outcome.failure->to_json();
        }
    } catch (const Error& e) {
        // Busy (another dagda run holds the machine) or the plan could not be read at all.
        const bool busy = e.kind() == ErrorKind::refused && std::string(e.what()).find("busy") != std::string::npos;
        say(busy ? "warn" : "error", "job " + job + ": " + e.what());
        if (!accepted) link_->send({"job_refuse", {{"job", job}, {"reason", busy ? "busy" : "invalid"}, {"problems", problems_json({e.what()})}}});
        else result["failure"] = {{"kind", to_string(e.kind())}, {"message", e.what()}};
    } catch (const std::exception& e) {
        // The worker thread's own boundary: nothing escapes a thread (it would end the agent).
        say("error", "job " + job + ": " + e.what());
        if (!accepted) link_->send({"job_refuse", {{"job", job}, {"reason", "invalid"}, {"problems", problems_json({e.what()})}}});
        else result["failure"] = {{"kind", "failed"}, {"message", e.what()}};
    }
    if (accepted && stopping_) {
        // The agent is stopping, not the operator cancelling: no result, so the job resumes.
        std::lock_guard lock(mutex_);
        current_.reset();
        return;
    }
    if (accepted) {
        try {
            record(job, result);
            write_mark(finished_mark(job), result.dump());
        } catch (const std::exception& e) {
            // Without its result the job stays running at the controller; the next offer after a
            // restart resumes it from its journal and records the result then.
            say("error", "job " + job + ": cannot record its result: " + e.what());
        }
    }
    std::lock_guard lock(mutex_);
    current_.reset();
}

}  // namespace dagda::app
