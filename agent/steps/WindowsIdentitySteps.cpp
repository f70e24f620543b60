// windows.set_identity (a clone's name and DHCP) and windows.restore_files (files of a later
// generation, read through the archive, copied into the recovered volume).

#include "core/Error.hpp"
#include "image/ArchiveChain.hpp"
#include "image/VolumeReader.hpp"
#include "steps/StepArgs.hpp"
#include "steps/StepFingerprints.hpp"
#include "steps/Steps.hpp"
#include "steps/WindowsPartition.hpp"
#include "windows/ntfs/EditableVolume.hpp"
#include "windows/ntfs/NtfsCopy.hpp"
#include "windows/system/CloneIdentity.hpp"
#include "windows/system/OfflineHive.hpp"

namespace dagda::steps {

namespace {

using namespace dagda::windows;

std::string disk_key(const nlohmann::json& json) { return "disk:" + json.value("disk", std::string()); }

const std::vector<jobs::ArgumentSpec> set_identity_arguments{
    {"disk", "disk name", true, "the plan's disk"},
    {"partition", "number", false, "the partition holding Windows (default: the one that does)"},
    {"computer_name", "name (at most 15 characters)", true, "the clone's computer and host name"},
    {"dhcp_all_nics", "true/false", false, "move NICs with static IPv4 addresses to DHCP (default false)"},
};

const std::vector<jobs::ArgumentSpec> restore_files_arguments{
    {"disk", "disk name", true, "the plan's disk"},
    {"partition", "number", false, "the partition holding Windows (default: the one that does)"},
    {"archive", "path or URL", true, "the later generation the files come from"},
    {"volume", "number", false, "its NTFS volume (default: the only one)"},
    {"paths", "[paths]", true, "files or folders, copied to the same path"},
};

struct SetIdentity {
    std::string disk;
    std::optional<unsigned> partition;
    system::CloneIdentity identity;
    std::vector<std::string> problems;

    explicit SetIdentity(const nlohmann::json& json) {
        StepArgs args(json, set_identity_arguments);
        disk = args.text("disk");
        partition = args.optional_number("partition");
        identity.computer_name = args.text("computer_name");
        identity.dhcp_all_nics = args.flag("dhcp_all_nics", false);
        problems = args.problems();
    }
};

struct RestoreFiles {
    std::string disk, archive;
    std::optional<unsigned> partition, volume;
    std::vector<std::string> paths;
    std::vector<std::string> problems;

    explicit RestoreFiles(const nlohmann::json& json) {
        StepArgs args(json, restore_files_arguments);
        disk = args.text("disk");
        partition = args.optional_number("partition");
        archive = args.text("archive");
        volume = args.optional_number("volume");
        paths = args.texts("paths");
        if (paths.empty()) args.problem("\"paths\" must name at least one file or folder");
        problems = args.problems();
    }

    std::uint32_t pick_volume(const image::TibArchive& newest) const {
        if (volume) return newest.volume(*volume).number;
        std::optional<std::uint32_t> ntfs;
        for (const auto& v : newest.volumes()) {
            if (v.filesystem != "ntfs") continue;
            if (ntfs) throw Error(ErrorKind::usage, archive + " holds several NTFS volumes; name one with \"volume\"");
            ntfs = v.number;
        }
        if (!ntfs) throw Error(ErrorKind::failed, archive + " holds no NTFS volume");
        return *ntfs;
    }
};

/// Largest file restore_files copies (each is read whole into memory).
constexpr std::uint64_t largest_file = 4ull << 30;

void run_restore_files(const StepEnvironment& env, const RestoreFiles& step, jobs::StepContext& context) {
    image::ArchiveChain chain(step.archive, env.https_trust);
    const std::uint32_t number = step.pick_volume(chain.newest());
    image::VolumeReader reader(chain.chain(), number);
    const ntfs::NtfsVolume from([&reader](std::uint64_t offset, void* buffer, std::size_t length) { reader.read(offset, buffer, length); },
                                reader.size(), step.archive + " volume " + std::to_string(number));
    // Every path checked before the first is copied: a list with one wrong path writes nothing.
    for (const std::string& path : step.paths) ntfs::copyable_path(from, path);
    WindowsTarget target(env.disks->get(step.disk), step.partition);
    const auto to = ntfs::open_for_editing(target.fd.get(), target.range.offset, target.range.size, target.range.name, {});
    std::uint64_t files = 0, done = 0;
    for (const std::string& path : step.paths) {
        context.check_cancel();
        context.progress(done++, step.paths.size(), "restoring " + path);
        files += ntfs::copy_between_volumes(from, path, *to, path, largest_file, [&](const std::string& copied) {
            context.say("restored " + copied + " from " + step.archive);
            context.check_cancel();
        });
    }
    context.progress(step.paths.size(), step.paths.size(), "restored " + std::to_string(files) + " files");
    to->close();
}

}  // namespace

void add_windows_identity_steps(jobs::StepRegistry& registry, StepEnvironment& env) {
    registry.add({"windows.set_identity", "rename a recovered Windows (and move static NICs to DHCP) to run it beside the original",
                  jobs::Resume::rebuild,
                  [&env](const nlohmann::json& json) {
                      const SetIdentity step(json);
                      if (!step.problems.empty()) return step.problems;
                      env.disks->get(step.disk);
                      system::check_computer_name(step.identity.computer_name);
                      return std::vector<std::string>{};
                  },
                  [&env](const nlohmann::json& json) {
                      const SetIdentity step(json);
                      return std::vector<std::string>{"Rename the Windows on " + disk::describe(env.disks->get(step.disk).target) + " to " +
                                                      step.identity.computer_name + (step.identity.dhcp_all_nics ? ", static NICs to DHCP" : "")};
                  },
                  [&env](const nlohmann::json& json, jobs::StepContext& context) {
                      const SetIdentity step(json);
                      require_no_problems(step.problems);
                      WindowsTarget target(env.disks->get(step.disk), step.partition);
                      const auto volume = ntfs::open_for_editing(target.fd.get(), target.range.offset, target.range.size, target.range.name, {});
                      const system::WindowsInstall windows = system::inspect_windows(*volume);
                      system::OfflineHive hive(*volume, windows.system_root + "/System32/config/SYSTEM", "SYSTEM", true);
                      const auto edits = system::plan_clone_identity(hive.hive(), windows, step.identity);
                      if (edits.empty()) return;
                      registry::apply_edits(hive.hive(), edits);
                      hive.save(*volume);
                      volume->close();
                      for (const auto& edit : edits) context.say(edit.describe("SYSTEM"));
                  },
                  disk_key, set_identity_arguments,
                  [&env](const nlohmann::json& json) {
                      const SetIdentity step(json);
                      return windows_fingerprint(env.disks->get(step.disk), step.partition);
                  }});
    registry.add({"windows.restore_files", "copy files or folders of a later generation into the recovered Windows", jobs::Resume::rebuild,
                  [&env](const nlohmann::json& json) {
                      const RestoreFiles step(json);
                      if (!step.problems.empty()) return step.problems;
                      env.disks->get(step.disk);
                      image::ArchiveChain chain(step.archive, env.https_trust);
                      step.pick_volume(chain.newest());
                      return std::vector<std::string>{};
                  },
                  [&env](const nlohmann::json& json) {
                      const RestoreFiles step(json);
                      std::vector<std::string> lines;
                      for (const std::string& path : step.paths)
                          lines.push_back("Copy " + path + " from " + step.archive + " into the Windows on " +
                                          disk::describe(env.disks->get(step.disk).target));
                      return lines;
                  },
                  [&env](const nlohmann::json& json, jobs::StepContext& context) {
                      const RestoreFiles step(json);
                      require_no_problems(step.problems);
                      run_restore_files(env, step, context);
                  },
                  disk_key, restore_files_arguments,
                  [&env](const nlohmann::json& json) {
                      const RestoreFiles step(json);
                      return windows_fingerprint(env.disks->get(step.disk), step.partition);
                  }});
}

}  // namespace dagda::steps
