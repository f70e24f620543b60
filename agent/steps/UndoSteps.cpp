// disk.undo: a disk changed in place under an undo journal (a plan's "undo_journal") put back as
// it was before the journal's first write: how a failed push button recovery in the helper VM
// leaves the replica as its freeze left it (docs/replication.md).

#include "core/Error.hpp"
#include "core/UndoJournal.hpp"
#include "core/Units.hpp"
#include "disk/Safety.hpp"
#include "disk/Target.hpp"
#include "steps/StepArgs.hpp"
#include "steps/Steps.hpp"

namespace dagda::steps {

namespace {

const std::vector<jobs::ArgumentSpec> undo_arguments{
    {"disk", "disk name", true, "the plan's disk to put back"},
    {"journal", "absolute path", true, "the undo journal a plan's \"undo_journal\" wrote for that disk"},
};

struct Undo {
    std::string disk, journal;
    std::vector<std::string> problems;

    explicit Undo(const nlohmann::json& json) {
        StepArgs args(json, undo_arguments);
        disk = args.text("disk");
        journal = args.text("journal");
        problems = args.problems();
    }
};

std::vector<std::string> validate(const StepEnvironment& env, const nlohmann::json& json) {
    const Undo step(json);
    if (!step.problems.empty()) return step.problems;
    // Every record checked, and the journal made for a disk of this size: nothing written.
    undo_journal(step.journal, env.disks->get(step.disk).target.path, true);
    return {};
}

std::vector<std::string> describe(const StepEnvironment& env, const nlohmann::json& json) {
    const Undo step(json);
    const PlanDisk& disk = env.disks->get(step.disk);
    const UndoReport report = undo_journal(step.journal, disk.target.path, true);
    return {"Put back " + std::to_string(report.regions) + " regions (" + human_bytes(report.bytes) + ") of " + disk::describe(disk.target) +
            " from " + step.journal + ", as the disk was before the journal's first write"};
}

void run(const StepEnvironment& env, const nlohmann::json& json, jobs::StepContext& context) {
    const Undo step(json);
    const PlanDisk& disk = env.disks->get(step.disk);
    disk::check_target_safe(disk::probe_target(disk.target.path), disk.expected);
    const UniqueFd claim = disk::hold_exclusive(disk.target);
    const UndoReport report = undo_journal(step.journal, disk.target.path, false);
    context.say("put back " + std::to_string(report.regions) + " regions (" + human_bytes(report.bytes) + ") of " + disk.target.path +
                (report.torn_tail ? "; the journal's last record was cut short as it was saved (its write was never made)" : ""));
}

}  // namespace

void add_undo_steps(jobs::StepRegistry& registry, StepEnvironment& env) {
    registry.add({"disk.undo", "put a disk changed in place back as it was, from its undo journal (running it again gives the same disk)",
                  jobs::Resume::rerun, [&env](const nlohmann::json& args) { return validate(env, args); },
                  [&env](const nlohmann::json& args) { return describe(env, args); },
                  [&env](const nlohmann::json& args, jobs::StepContext& context) { run(env, args, context); },
                  [](const nlohmann::json& json) { return "disk:" + json.value("disk", std::string()); }, undo_arguments});
}

}  // namespace dagda::steps
