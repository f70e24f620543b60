// image.restore: volumes of a TIB generation (path or URL) onto the partitions of a plan's disk,
// resuming from the window the journal last recorded.

#include "core/Error.hpp"
#include "core/Units.hpp"
#include "disk/LayoutReader.hpp"
#include "disk/Plan.hpp"
#include "disk/SfdiskJson.hpp"
#include "image/ArchiveChain.hpp"
#include "image/restore/VolumeRestore.hpp"
#include "recovery/DiskRestore.hpp"
#include "steps/StepArgs.hpp"
#include "steps/StepFingerprints.hpp"
#include "steps/Steps.hpp"

#include <fcntl.h>

#include <algorithm>
#include <mutex>

namespace dagda::steps {

namespace {

struct VolumeTarget {
    std::uint32_t volume = 0;
    unsigned partition = 0;
};

const std::vector<jobs::ArgumentSpec> restore_arguments{
    {"disk", "disk name", true, "the plan's disk"},
    {"archive", "path or http(s) URL", true, "the TIB generation to restore"},
    {"volumes", "\"all\" | [{\"volume\": N, \"partition\": P}]", false, "what goes where (default: each volume onto its partition)"},
    {"verify", "true/false", false, "read every volume back against the archive (default false)"},
    {"grow_fs", "true/false", false, "grow each NTFS to fill a larger partition, with ntfsresize (default true)"},
};

struct Restore {
    std::string disk, archive;
    nlohmann::json volumes;  ///< "all" or [{"volume": n, "partition": p}]
    bool verify = false;
    bool grow_fs = true;
    std::vector<std::string> problems;

    explicit Restore(const nlohmann::json& json) {
        StepArgs args(json, restore_arguments);
        disk = args.text("disk");
        archive = args.text("archive");
        volumes = args.raw("volumes").is_null() ? nlohmann::json("all") : args.raw("volumes");
        verify = args.flag("verify", false);
        grow_fs = args.flag("grow_fs", true);
        if (!(volumes == "all") && !volumes.is_array()) args.problem("\"volumes\" must be \"all\" or [{\"volume\": N, \"partition\": P}, …]");
        problems = args.problems();
    }

    /// Which volume goes onto which partition: every volume onto the partition of its number, or
    /// the pairs given.
    std::vector<VolumeTarget> targets(const image::TibArchive& newest) const {
        std::vector<VolumeTarget> out;
        if (volumes == "all") {
            for (const auto& v : newest.volumes()) out.push_back({v.number, v.number});
            return out;
        }
        for (const auto& pair : volumes) {
            if (!pair.is_object() || !pair.contains("volume") || !pair.contains("partition") || !pair["volume"].is_number_unsigned() ||
                !pair["partition"].is_number_unsigned())
                throw Error(ErrorKind::usage, "each of \"volumes\" must be {\"volume\": N, \"partition\": P}");
            out.push_back({pair["volume"].get<std::uint32_t>(), pair["partition"].get<unsigned>()});
            newest.volume(out.back().volume);  // throws naming the archive when it has no such volume
            for (std::size_t i = 0; i + 1 < out.size(); ++i)
                if (out[i].volume == out.back().volume || out[i].partition == out.back().partition)
                    throw Error(ErrorKind::usage, "\"volumes\" names volume " + std::to_string(out.back().volume) + " or partition " +
                                                      std::to_string(out.back().partition) + " twice");
        }
        return out;
    }
};

/// The layout the disk will have when this step runs: what an earlier disk.apply_layout of the
/// plan writes, else its table now, else (a blank disk) the archive's layout fitted.
disk::Layout expected_layout(const StepEnvironment& env, const std::string& name, const disk::TargetInfo& target,
                             const image::TibArchive& archive) {
    if (const auto planned = env.planned_layouts.find(name); planned != env.planned_layouts.end()) return planned->second;
    if (auto layout = disk::read_layout(target)) return *layout;
    if (!archive.layout()) throw Error(ErrorKind::failed, target.path + " has no partition table, and " + archive.name() + " holds no layout");
    disk::PlanOptions options;
    options.fit = true;
    return recovery::archive_disk_plan(archive, target, options).layout;
}

const disk::PartitionSpec& partition_of(const disk::Layout& layout, unsigned number, const std::string& disk) {
    for (const auto& part : layout.partitions)
        if (part.number == number) return part;
    throw Error(ErrorKind::failed, disk + " has no partition " + std::to_string(number));
}

std::vector<std::string> validate(const StepEnvironment& env, const nlohmann::json& json) {
    const Restore step(json);
    if (!step.problems.empty()) return step.problems;
    std::vector<std::string> problems;
    image::ArchiveChain chain(step.archive, env.https_trust);  // readable, chain complete
    const disk::TargetInfo& target = env.disks->get(step.disk).target;
    const disk::Layout layout = expected_layout(env, step.disk, target, chain.newest());
    for (const VolumeTarget& t : step.targets(chain.newest())) {
        const std::uint64_t size = chain.newest().volume(t.volume).volume_size;
        const disk::PartitionSpec& part = partition_of(layout, t.partition, target.path);
        if (part.size * layout.sector_size < size)
            problems.push_back("volume " + std::to_string(t.volume) + " (" + human_bytes(size) + ") does not fit partition " +
                               std::to_string(t.partition) + " (" + human_bytes(part.size * layout.sector_size) + ")");
    }
    return problems;
}

std::vector<std::string> describe(const StepEnvironment& env, const nlohmann::json& json) {
    const Restore step(json);
    image::ArchiveChain chain(step.archive, env.https_trust);
    const disk::TargetInfo& target = env.disks->get(step.disk).target;
    const disk::Layout layout = expected_layout(env, step.disk, target, chain.newest());
    std::vector<std::string> lines;
    for (const VolumeTarget& t : step.targets(chain.newest())) {
        const auto& v = chain.newest().volume(t.volume);
        lines.push_back("Restore volume " + std::to_string(t.volume) + " (" + (v.filesystem.empty() ? "raw" : v.filesystem) + ", " +
                        human_bytes(v.volume_size) + ") of " + step.archive + " onto partition " + std::to_string(t.partition) + " of " +
                        disk::describe(target) + (step.verify ? ", then read it back" : ""));
        const disk::PartitionSpec& part = partition_of(layout, t.partition, target.path);
        if (const auto growth = recovery::growth_plan_line(v, t.partition, part.size * layout.sector_size, step.grow_fs))
            lines.push_back(*growth);
    }
    return lines;
}

void run(const StepEnvironment& env, const nlohmann::json& json, jobs::StepContext& context) {
    const Restore step(json);
    const PlanDisk& disk = env.disks->get(step.disk);
    disk::check_target_safe(disk::probe_target(disk.target.path), disk.expected);
    const UniqueFd claim = disk::hold_exclusive(disk.target);
    image::ArchiveChain chain(step.archive, env.https_trust);
    const auto layout = disk::read_layout(disk.target);
    if (!layout) throw Error(ErrorKind::failed, disk.target.path + " has no partition table: apply the layout first");
    const UniqueFd fd = UniqueFd::open(disk.target.path, O_RDWR);
    const std::vector<VolumeTarget> targets = step.targets(chain.newest());
    // The journal state: volumes finished, and where the current one may start again.
    nlohmann::json state = context.saved_state().is_null() ? nlohmann::json{{"done", nlohmann::json::array()}} : context.saved_state();
    std::uint64_t total = 0, finished = 0;
    for (const VolumeTarget& t : targets) total += chain.newest().volume(t.volume).volume_size;
    std::mutex record_mutex;
    for (const VolumeTarget& t : targets) {
        const std::uint64_t size = chain.newest().volume(t.volume).volume_size;
        const bool done = std::find(state["done"].begin(), state["done"].end(), t.volume) != state["done"].end();
        if (done) {
            finished += size;
            continue;
        }
        const disk::PartitionSpec& part = partition_of(*layout, t.partition, disk.target.path);
        const image::VolumeRange range{fd.get(), part.start * layout->sector_size, part.size * layout->sector_size,
                                       disk.target.path + " partition " + std::to_string(t.partition)};
        image::RestoreCheckpoint checkpoint;
        if (state.value("volume", 0u) == t.volume) checkpoint.start_window = state.value("next_window", std::uint64_t{0});
        checkpoint.record = [&](std::uint64_t next_window) {
            // Workers record concurrently; keep the journal's value rising.
            const std::lock_guard<std::mutex> lock(record_mutex);
            if (state.value("volume", 0u) == t.volume && state.value("next_window", std::uint64_t{0}) >= next_window) return;
            state["volume"] = t.volume;
            state["next_window"] = next_window;
            context.save_state(state);
        };
        const std::string action = "restoring volume " + std::to_string(t.volume) + " onto " + range.name;
        image::restore_volume(chain.chain(), t.volume, range, env.threads,
                              [&](std::uint64_t done_bytes, std::uint64_t) {
                                  context.check_cancel();
                                  context.progress(finished + done_bytes, total, action);
                              },
                              &checkpoint);
        if (step.verify) image::verify_restored(chain.chain(), t.volume, range, [&](std::uint64_t, std::uint64_t) { context.check_cancel(); });
        finished += size;
        const std::lock_guard<std::mutex> lock(record_mutex);
        // A resize cut short leaves the volume half changed: until it is done, a resumed step
        // restores the volume again from its first window (the same as tib restore --disk).
        state["volume"] = t.volume;
        state["next_window"] = 0;
        context.save_state(state);
        const std::optional<std::string> grown = recovery::grow_restored_volume(
            chain.newest().volume(t.volume), t.partition, disk.target.path, fd.get(), range.offset, range.size, step.grow_fs);
        if (grown) context.say(*grown);
        state["done"].push_back(t.volume);
        state.erase("volume");
        state.erase("next_window");
        context.save_state(state);
        context.say("restored volume " + std::to_string(t.volume) + " onto " + range.name + (step.verify ? " and verified it" : ""));
    }
}

/// The volumes it wrote, each as it begins (its boot sector: serial, size).
nlohmann::json fingerprint(const StepEnvironment& env, const nlohmann::json& json) {
    const Restore step(json);
    image::ArchiveChain chain(step.archive, env.https_trust);
    std::vector<unsigned> partitions;
    for (const VolumeTarget& t : step.targets(chain.newest())) partitions.push_back(t.partition);
    return volumes_fingerprint(env.disks->get(step.disk), partitions, false);
}

}  // namespace

void add_image_steps(jobs::StepRegistry& registry, StepEnvironment& env) {
    registry.add({"image.restore", "restore volumes of a TIB generation onto partitions (resumes at its last checkpoint)",
                  jobs::Resume::checkpoint, [&env](const nlohmann::json& args) { return validate(env, args); },
                  [&env](const nlohmann::json& args) { return describe(env, args); },
                  [&env](const nlohmann::json& args, jobs::StepContext& context) { run(env, args, context); },
                  [](const nlohmann::json& json) { return "disk:" + json.value("disk", std::string()); }, restore_arguments,
                  [&env](const nlohmann::json& args) { return fingerprint(env, args); }});
}

}  // namespace dagda::steps
