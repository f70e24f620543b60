// image.capture: a plan's disk backed up as a new TIB generation (full, or incremental on a
// chain), into a file or the controller's upload URL. It writes no disk, so a run cut short
// starts over: an upload begins again at its first byte.

#include "core/Error.hpp"
#include "core/Units.hpp"
#include "disk/Safety.hpp"
#include "disk/Target.hpp"
#include "image/ArchiveChain.hpp"
#include "image/format/TibFormat.hpp"
#include "recovery/ArchiveCapture.hpp"
#include "steps/StepArgs.hpp"
#include "steps/Steps.hpp"

namespace dagda::steps {

namespace {

const std::vector<jobs::ArgumentSpec> capture_arguments{
    {"disk", "disk name", true, "the plan's disk to back up (read only)"},
    {"output", "path or https URL", true, "the archive to write: a new file, or the controller's upload URL"},
    {"base", "path or http(s) URL", false, "an incremental on this chain's newest generation (default: a full backup)"},
    {"level", "0-19", false, "zstd level (default 3; 0 stores chunks uncompressed)"},
};

struct Capture {
    std::string disk, output, base;
    unsigned level = 3;
    std::vector<std::string> problems;

    explicit Capture(const nlohmann::json& json) {
        StepArgs args(json, capture_arguments);
        disk = args.text("disk");
        output = args.text("output");
        if (!args.raw("base").is_null()) base = args.text("base");
        level = args.optional_number("level").value_or(3);
        if (level > 19) args.problem("\"level\" must be 0 to 19");
        problems = args.problems();
    }
};

std::vector<std::string> validate(const StepEnvironment& env, const nlohmann::json& json) {
    const Capture step(json);
    if (!step.problems.empty()) return step.problems;
    env.disks->get(step.disk);  // a disk of the plan
    if (!step.base.empty()) image::ArchiveChain chain(step.base, env.https_trust);  // readable, chain complete
    return {};
}

std::vector<std::string> describe(const StepEnvironment& env, const nlohmann::json& json) {
    const Capture step(json);
    const PlanDisk& disk = env.disks->get(step.disk);
    return {"Back up " + disk::describe(disk.target) + " (read only) as a new " + (step.base.empty() ? "full" : "incremental") + " generation into " +
            step.output + (step.base.empty() ? "" : ", on " + step.base)};
}

void run(const StepEnvironment& env, const nlohmann::json& json, jobs::StepContext& context) {
    const Capture step(json);
    const PlanDisk& disk = env.disks->get(step.disk);
    disk::check_identity(disk::probe_target(disk.target.path), disk.expected);
    // Held while it is read: nothing can mount the disk and change it under the backup.
    const UniqueFd claim = disk::hold_exclusive(disk.target);
    recovery::CaptureRequest request;
    request.source = disk.target.path;
    request.whole_disk = true;
    request.output = step.output;
    request.base = step.base;
    request.options.level = static_cast<int>(step.level);
    request.options.threads = env.threads;
    request.trust = env.https_trust;
    request.upload.check_cancel = [&context] { context.check_cancel(); };
    if (disk.target.is_block_device) request.machine = recovery::this_machine_profile();
    std::string volume;
    request.volume_started = [&](const std::string& name) { volume = name; };
    request.progress = [&](std::uint64_t done, std::uint64_t total) {
        context.check_cancel();
        context.progress(done, total, "backing up " + volume);
    };
    request.warn = [&](const std::string& warning) { context.say("warning: " + warning); };
    const recovery::CaptureResult result = recovery::capture_archive(request);
    context.say("backed up " + disk.target.path + " as generation " + result.generation + " (" + human_bytes(result.archive_bytes) + ", " +
                std::to_string(result.volumes.size()) + " volumes) into " + step.output);
}

}  // namespace

void add_capture_steps(jobs::StepRegistry& registry, StepEnvironment& env) {
    registry.add({"image.capture", "back up a disk as a new TIB generation, to a file or the controller (a run cut short starts over)",
                  jobs::Resume::rerun, [&env](const nlohmann::json& args) { return validate(env, args); },
                  [&env](const nlohmann::json& args) { return describe(env, args); },
                  [&env](const nlohmann::json& args, jobs::StepContext& context) { run(env, args, context); },
                  [](const nlohmann::json&) { return std::string(); }, capture_arguments});
}

}  // namespace dagda::steps
