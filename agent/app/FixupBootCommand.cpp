// dagda fixup-boot: after a restore onto another disk, fix what names the old disk: NTFS boot
// sectors, MountedDevices and BCD device elements. Plan first; --dry-run stops after printing.

#include "app/Commands.hpp"
#include "core/Error.hpp"
#include "core/UniqueFd.hpp"
#include "disk/LayoutReader.hpp"
#include "disk/SfdiskJson.hpp"
#include "disk/Target.hpp"
#include "image/ArchiveChain.hpp"
#include "windows/boot/BootFixup.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>

namespace dagda::app {

namespace po = boost::program_options;

namespace {

/// The source disk's layout: from the archive it was restored from, or an sfdisk JSON file.
disk::Layout old_layout(const po::variables_map& vm) {
    if (vm.count("from-archive") == vm.count("old-layout"))
        throw po::error("name the source disk's layout: --from-archive ARCHIVE.tib or --old-layout LAYOUT.json");
    if (vm.count("from-archive")) {
        const std::string location = vm["from-archive"].as<std::string>();
        image::ArchiveChain chain(location);
        if (!chain.newest().layout()) throw Error(ErrorKind::failed, location + " holds a volume, not a disk: it has no layout to fix up from");
        return disk::parse_layout_json(*chain.newest().layout());
    }
    const std::string path = vm["old-layout"].as<std::string>();
    std::ifstream in(path);
    if (!in) throw Error(ErrorKind::failed, "cannot read " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return disk::parse_layout_json(text.str());
}

}  // namespace

int run_fixup_boot(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("disk", po::value<std::string>()->required(), "the disk (or image) Windows was restored onto")(
        "from-archive", po::value<std::string>(), "the TIB archive the disk was restored from (its layout names the old disk)")(
        "old-layout", po::value<std::string>(), "the source disk's layout as sfdisk JSON, instead of --from-archive")(
        "heads", po::value<std::uint16_t>(), "BIOS geometry heads to record in every NTFS boot sector (default: 255 where a volume moved)")(
        "sectors-per-track", po::value<std::uint16_t>(), "BIOS geometry sectors per track (default: 63 where a volume moved)")(
        "dry-run", "print the plan and stop; nothing is written");
    add_identity_options(options);
    po::positional_options_description positional;
    positional.add("disk", 1);
    const auto vm = parse_args(args, {"fixup-boot"}, options, positional);
    if (!vm) return 0;
    const bool dry_run = vm->count("dry-run") > 0;
    const disk::Layout before = old_layout(*vm);
    const disk::TargetInfo target = disk::probe_target((*vm)["disk"].as<std::string>());
    UniqueFd claim;
    if (!dry_run) {
        disk::check_target_safe(target, identity_assertions(*vm));
        claim = disk::hold_exclusive(target);
    }
    const auto after = disk::read_layout(target);
    if (!after) throw Error(ErrorKind::failed, target.path + " has no partition table; restore the layout first");
    const windows::boot::DiskMove move = windows::boot::DiskMove::between(before, *after);
    std::optional<windows::boot::DiskGeometry> geometry;
    if (vm->count("heads") || vm->count("sectors-per-track"))
        geometry = windows::boot::DiskGeometry{vm->count("heads") ? (*vm)["heads"].as<std::uint16_t>() : std::uint16_t{255},
                                               vm->count("sectors-per-track") ? (*vm)["sectors-per-track"].as<std::uint16_t>() : std::uint16_t{63}};
    const UniqueFd fd = UniqueFd::open(target.path, dry_run ? O_RDONLY : O_RDWR);
    const windows::boot::BootFixupPlan plan = windows::boot::plan_boot_fixup(fd.get(), target.path, *after, move, geometry);

    std::cout << "Boot fix-up of " << disk::describe(target) << ":\n";
    for (const auto& partition : move.partitions())
        if (partition.changes())
            std::cout << "  partition " << partition.number << " was " << partition.before.describe() << ", is "
                      << partition.after.describe() << "\n";
    std::cout << plan.text() << std::flush;
    if (dry_run) {
        std::cout << "Dry run: nothing was written.\n";
        return 0;
    }
    windows::boot::apply_boot_fixup(fd.get(), target.path, *after, plan,
                                    [](const std::string& done) { std::cout << "done: " << done << "\n" << std::flush; });
    if (::fdatasync(fd.get()) != 0) throw_errno("cannot flush " + target.path);
    std::cout << "Fixed up " << target.path << ": " << plan.sectors.size() << " boot sectors, " << plan.hives.size() << " hives.\n";
    return 0;
}

}  // namespace dagda::app
