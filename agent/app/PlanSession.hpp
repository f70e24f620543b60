#pragma once
/// A loaded plan with what running it needs: its disks resolved by identity, the step registry
/// over them, and this machine's controllers for inoculation. Shared by `dagda run` and the
/// console.

#include "core/UndoJournal.hpp"
#include "jobs/JobRunner.hpp"
#include "jobs/Plan.hpp"
#include "steps/PlanDisks.hpp"
#include "steps/Steps.hpp"

#include <memory>
#include <string>
#include <vector>

namespace dagda::app {

class PlanSession {
public:
    /// Parses `text` (named `name` in messages) and resolves its disks; problems are kept for
    /// require_valid(). The steps verify https archives as `https_trust` says (the agent's jobs:
    /// their controller's origin by its pin or CA; `dagda run` and the console: empty, the
    /// system's CAs).
    PlanSession(const std::string& text, const std::string& name, image::HttpsTrust https_trust);
    PlanSession(const PlanSession&) = delete;
    PlanSession& operator=(const PlanSession&) = delete;

    const jobs::Plan& plan() const noexcept { return plan_; }
    const jobs::StepRegistry& registry() const noexcept { return registry_; }
    /// Every problem of the plan (structure, disks, each step's own checks); empty when it may run.
    std::vector<std::string> problems(const jobs::JobRunner& runner) const;
    /// Throws Error{refused} listing every problem, if there are any.
    void require_valid(const jobs::JobRunner& runner) const;
    /// <folder>/journal-<digest of the plan>.dagda (the run folder by default): the same plan
    /// resumes by default.
    std::string default_journal(const std::string& folder = "") const;
    /// What machine.reboot and machine.poweroff run (the console offers them after a job, too).
    /// The disk the plan names `name` (Error{usage} when it has none or it did not resolve).
    const steps::PlanDisk& disk(const std::string& name) const { return environment_.disks->get(name); }
    /// The table each disk will have once its disk.apply_layout step has run (known after validation).
    const std::map<std::string, disk::Layout>& planned_layouts() const noexcept { return environment_.planned_layouts; }
    const std::vector<std::string>& reboot_command() const noexcept { return environment_.reboot_command; }
    const std::vector<std::string>& poweroff_command() const noexcept { return environment_.poweroff_command; }

private:
    std::vector<std::string> problems_;
    jobs::Plan plan_;
    steps::StepEnvironment environment_;
    jobs::StepRegistry registry_;
};

/// The undo journal at `path` for the plan's one disk, set as this process's (core/UndoJournal),
/// with the regions every writer that does not ask guard_write() may touch saved up front; null
/// for an empty path. Throws Error{usage} for a plan of more than one disk.
std::unique_ptr<UndoJournal> start_undo_journal(const std::string& path, const PlanSession& session);

/// The folder of the job lock and the default journals: $DAGDA_RUN_DIR, else /run/dagda. Read
/// here, at the command, and handed to the jobs module (which reads no environment).
std::string default_run_folder();

/// The content of a plan file; throws Error{failed} when it cannot be read.
std::string read_plan_file(const std::string& path);

}  // namespace dagda::app
