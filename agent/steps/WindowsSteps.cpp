// windows.inoculate, windows.fixup_boot, windows.set_identity and windows.restore_files: the
// offline Windows operations on a plan's disk, each planned, reported and applied.

#include "core/Error.hpp"
#include "disk/LayoutReader.hpp"
#include "disk/SfdiskJson.hpp"
#include "image/ArchiveChain.hpp"
#include "steps/StepArgs.hpp"
#include "steps/StepFingerprints.hpp"
#include "steps/Steps.hpp"
#include "steps/WindowsPartition.hpp"
#include "windows/boot/BootFixup.hpp"
#include "windows/inoculate/InoculationPlan.hpp"
#include "windows/ntfs/EditableVolume.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace dagda::steps {

namespace {

using namespace dagda::windows;

std::string on_disk(const StepEnvironment& env, const std::string& disk, std::optional<unsigned> partition) {
    return (partition ? "partition " + std::to_string(*partition) : std::string("the Windows partition")) + " of " +
           disk::describe(env.disks->get(disk).target);
}

// --- windows.inoculate -----------------------------------------------------------------------

const std::vector<jobs::ArgumentSpec> inoculate_arguments{
    {"disk", "disk name", true, "the plan's disk"},
    {"partition", "number", false, "the partition holding Windows (default: the one that does)"},
    {"auto", "true/false", false, "prepare for this machine's storage controllers"},
    {"for", "[catalog names]", false, "prepare for these targets (vmware-pvscsi, virtio-scsi, ahci, ...)"},
    {"drivers", "folder", false, "vendor driver packages (INF, SYS, CAT)"},
    {"disable", "[service names]", false, "services to set to Start=4 (the source's replication agent)"},
    {"catalog", "file", false, "a driver catalog instead of the built-in one"},
    {"remove_hiberfile", "true/false", false, "delete hiberfil.sys of a hibernated Windows"},
};

const std::vector<jobs::ArgumentSpec> fixup_boot_arguments{
    {"disk", "disk name", true, "the plan's disk"},
    {"archive", "path or URL", false, "the generation restored: its layout names the old disk"},
    {"old_layout", "file", false, "the old disk's layout as sfdisk JSON, instead of archive"},
};

struct Inoculate {
    std::string disk;
    std::optional<unsigned> partition;
    inoculate::InoculationRequest request;
    bool automatic = false, remove_hiberfile = false;
    std::optional<std::string> catalog;
    std::vector<std::string> problems;

    explicit Inoculate(const nlohmann::json& json) {
        StepArgs args(json, inoculate_arguments);
        disk = args.text("disk");
        partition = args.optional_number("partition");
        automatic = args.flag("auto", false);
        request.targets = args.texts("for");
        request.drivers = args.optional_text("drivers");
        request.disable = args.texts("disable");
        catalog = args.optional_text("catalog");
        remove_hiberfile = args.flag("remove_hiberfile", false);
        if (!automatic && request.targets.empty() && !request.drivers) args.problem("say which drivers: \"auto\", \"for\" or \"drivers\"");
        problems = args.problems();
    }
    inoculate::DriverCatalog load_catalog() const { return catalog ? inoculate::load_catalog(*catalog) : inoculate::builtin_catalog(); }
};

void add_inoculate(jobs::StepRegistry& registry, StepEnvironment& env) {
    registry.add({"windows.inoculate", "boot drivers for new storage hardware, and their registry bindings", jobs::Resume::rebuild,
                  [&env](const nlohmann::json& json) {
                      Inoculate step(json);
                      if (!step.problems.empty()) return step.problems;
                      env.disks->get(step.disk);
                      const auto catalog = step.load_catalog();
                      std::vector<std::string> problems;
                      for (const std::string& name : step.request.targets) catalog.find(name);
                      if (step.request.drivers && !std::filesystem::is_directory(*step.request.drivers))
                          problems.push_back("\"drivers\": " + *step.request.drivers + " is not a folder");
                      return problems;
                  },
                  [&env](const nlohmann::json& json) {
                      const Inoculate step(json);
                      std::string what = step.automatic ? "this machine's storage controllers" : "";
                      for (const std::string& name : step.request.targets) what += (what.empty() ? "" : ", ") + name;
                      if (step.request.drivers) what += (what.empty() ? "the packages in " : " (drivers from ") + *step.request.drivers + (what.empty() ? "" : ")");
                      return std::vector<std::string>{"Make the Windows on " + on_disk(env, step.disk, step.partition) + " boot on " + what};
                  },
                  [&env](const nlohmann::json& json, jobs::StepContext& context) {
                      Inoculate step(json);
                      require_no_problems(step.problems);
                      if (step.automatic) step.request.machine_devices = env.storage_controllers();
                      WindowsTarget target(env.disks->get(step.disk), step.partition);
                      const bool hibernated =
                          ntfs::inspect_volume(target.fd.get(), target.range.offset, target.range.size, target.range.name).hibernated;
                      const auto volume = ntfs::open_for_editing(target.fd.get(), target.range.offset, target.range.size, target.range.name,
                                                                 {step.remove_hiberfile, false});
                      const system::WindowsInstall windows = system::inspect_windows(*volume);
                      system::OfflineHive hive(*volume, windows.system_root + "/System32/config/SYSTEM", "SYSTEM", true);
                      const auto plan = inoculate::plan_inoculation(*volume, hive, windows, step.load_catalog(), step.request);
                      for (const auto& driver : plan.drivers) context.say("driver " + driver.describe());
                      for (const auto& note : plan.notes) context.say(note);
                      if (hibernated && ntfs::discard_hibernation(*volume)) context.say("deleted /hiberfil.sys");
                      const std::uint64_t total = plan.files_to_write() + plan.system_edits.size();
                      std::uint64_t done = 0;
                      inoculate::apply_inoculation(*volume, hive, plan, [&](const std::string& line) {
                          context.say(line);
                          context.progress(++done, total, line);
                      });
                      volume->close();
                  },
                  [](const nlohmann::json& json) { return "disk:" + json.value("disk", std::string()); }, inoculate_arguments,
                  [&env](const nlohmann::json& json) {
                      const Inoculate step(json);
                      return windows_fingerprint(env.disks->get(step.disk), step.partition);
                  }});
}

// --- windows.fixup_boot ----------------------------------------------------------------------

struct FixupBoot {
    std::string disk;
    std::optional<std::string> archive, old_layout;
    std::vector<std::string> problems;

    explicit FixupBoot(const nlohmann::json& json) {
        StepArgs args(json, fixup_boot_arguments);
        disk = args.text("disk");
        archive = args.optional_text("archive");
        old_layout = args.optional_text("old_layout");
        if (!archive == !old_layout) args.problem("give the source disk's layout: \"archive\" or \"old_layout\"");
        problems = args.problems();
    }
    disk::Layout before(const StepEnvironment& env) const {
        if (archive) {
            image::ArchiveChain chain(*archive, env.https_trust);
            if (!chain.newest().layout()) throw Error(ErrorKind::failed, *archive + " holds a volume, not a disk: it has no layout");
            return disk::parse_layout_json(*chain.newest().layout());
        }
        std::ifstream in(*old_layout);
        if (!in) throw Error(ErrorKind::failed, "cannot read " + *old_layout);
        std::ostringstream text;
        text << in.rdbuf();
        return disk::parse_layout_json(text.str());
    }
};

void add_fixup_boot(jobs::StepRegistry& registry, StepEnvironment& env) {
    registry.add({"windows.fixup_boot", "NTFS boot sectors, MountedDevices and BCD rewritten for the disk Windows now lives on",
                  jobs::Resume::rebuild,
                  [&env](const nlohmann::json& json) {
                      const FixupBoot step(json);
                      if (!step.problems.empty()) return step.problems;
                      env.disks->get(step.disk);
                      step.before(env);
                      return std::vector<std::string>{};
                  },
                  [&env](const nlohmann::json& json) {
                      const FixupBoot step(json);
                      return std::vector<std::string>{"Fix boot sectors, MountedDevices and BCD on " + disk::describe(env.disks->get(step.disk).target) +
                                                      " for the disk of " + (step.archive ? *step.archive : *step.old_layout)};
                  },
                  [&env](const nlohmann::json& json, jobs::StepContext& context) {
                      const FixupBoot step(json);
                      const PlanDisk& disk = env.disks->get(step.disk);
                      const disk::TargetInfo now = disk::probe_target(disk.target.path);
                      disk::check_target_safe(now, disk.expected);
                      const UniqueFd claim = disk::hold_exclusive(now);
                      const auto after = disk::read_layout(now);
                      if (!after) throw Error(ErrorKind::failed, now.path + " has no partition table");
                      const auto move = boot::DiskMove::between(step.before(env), *after);
                      const UniqueFd fd = UniqueFd::open(now.path, O_RDWR);
                      const auto plan = boot::plan_boot_fixup(fd.get(), now.path, *after, move);
                      for (const auto& note : plan.notes) context.say(note);
                      std::uint64_t total = 0, done = 0;
                      for (const auto& fix : plan.sectors) total += fix.changes.size();
                      for (const auto& fix : plan.hives) total += fix.edits.size();
                      boot::apply_boot_fixup(fd.get(), now.path, *after, plan, [&](const std::string& line) {
                          context.say(line);
                          context.progress(++done, total, line);
                      });
                      if (::fdatasync(fd.get()) != 0) throw_errno("cannot flush " + now.path);
                  },
                  [](const nlohmann::json& json) { return "disk:" + json.value("disk", std::string()); }, fixup_boot_arguments,
                  // The boot sectors it rewrote, with the fields it sets.
                  [&env](const nlohmann::json& json) { return volumes_fingerprint(env.disks->get(FixupBoot(json).disk), std::nullopt, true); }});
}

}  // namespace

void add_windows_identity_steps(jobs::StepRegistry& registry, StepEnvironment& env);

void add_windows_steps(jobs::StepRegistry& registry, StepEnvironment& env) {
    add_inoculate(registry, env);
    add_fixup_boot(registry, env);
    add_windows_identity_steps(registry, env);
}

}  // namespace dagda::steps
