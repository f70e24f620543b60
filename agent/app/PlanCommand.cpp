// dagda plan from-archive: the plan a whole-server recovery needs, so the common case needs no
// hand-written JSON: the archive's layout fitted to the disk, every volume restored, Windows
// inoculated for this machine's controllers, and the boot fixed up for the new disk.

#include "app/Commands.hpp"
#include "app/RecoveryPlan.hpp"
#include "core/Error.hpp"
#include "disk/Target.hpp"
#include "image/ArchiveChain.hpp"
#include "image/VolumeReader.hpp"
#include "steps/PlanDisks.hpp"
#include "windows/ntfs/NtfsVolume.hpp"
#include "windows/system/WindowsInstall.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>

namespace dagda::app {

namespace po = boost::program_options;

namespace {

/// The file of generation `number` (1 = the full backup the chain starts with) of the chain that
/// ends at `location`.
std::string generation_location(const std::string& location, std::optional<unsigned> number) {
    image::ArchiveChain chain(location);
    const std::size_t count = chain.chain().size();
    if (!number) return location;
    if (*number < 1 || *number > count)
        throw Error(ErrorKind::usage, location + " is generation " + std::to_string(count) + " of its chain; --generation must be 1 to " +
                                          std::to_string(count));
    return chain.chain()[count - *number]->name();  // the chain is newest first
}

/// Whether NTFS volume `number` of the archive holds a Windows (read through the archive).
bool holds_windows(const image::ArchiveChain& chain, std::uint32_t number) {
    image::VolumeReader reader(chain.chain(), number);
    try {
        const windows::ntfs::NtfsVolume volume([&reader](std::uint64_t offset, void* buffer, std::size_t length) { reader.read(offset, buffer, length); },
                                               reader.size(), "volume " + std::to_string(number));
        windows::system::find_system_root(volume);
        return true;
    } catch (const Error&) {
        return false;
    }
}

}  // namespace

nlohmann::json recovery_plan(const std::string& archive, const disk::TargetInfo& target, const nlohmann::json& inoculation) {
    image::ArchiveChain chain(archive);
    if (!chain.newest().layout()) throw Error(ErrorKind::failed, archive + " holds a volume, not a disk; a whole-disk plan needs a disk backup");
    bool ntfs = false, windows = false;
    for (const auto& volume : chain.newest().volumes()) {
        if (volume.filesystem != "ntfs") continue;
        ntfs = true;
        windows = windows || holds_windows(chain, volume.number);
    }
    nlohmann::json steps = nlohmann::json::array();
    steps.push_back({{"step", "disk.apply_layout"}, {"disk", "target"}, {"layout", {{"archive", archive}}}, {"fit", true}});
    steps.push_back({{"step", "image.restore"}, {"disk", "target"}, {"archive", archive}, {"volumes", "all"}});
    if (windows) {
        nlohmann::json inoculate{{"step", "windows.inoculate"}, {"disk", "target"}};
        inoculate.update(inoculation);
        steps.push_back(inoculate);
    }
    // NTFS boot sectors name where their volume starts, Windows or not.
    if (ntfs) steps.push_back({{"step", "windows.fixup_boot"}, {"disk", "target"}, {"archive", archive}});
    return {{"dagda_plan", 1},
            {"name", "recover " + archive + " onto " + disk::describe(target)},
            {"disks", {{"target", steps::identity_of(target)}}},
            {"steps", steps}};
}

int run_plan_from_archive(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("archive", po::value<std::string>()->required(), "the newest TIB generation of the chain (path or URL)")(
        "generation", po::value<unsigned>(), "which generation to recover, 1 = the full backup (default: the newest)")(
        "to", po::value<std::string>()->required(), "the disk (or image file) to recover onto")(
        "for", po::value<std::vector<std::string>>()->composing(), "inoculate for these catalog targets instead of this machine's controllers")(
        "drivers", po::value<std::string>(), "vendor driver packages for inoculation")(
        "output,o", po::value<std::string>(), "write the plan here instead of printing it");
    po::positional_options_description positional;
    positional.add("archive", 1);
    const auto vm = parse_args(args, {"plan", "from-archive"}, options, positional);
    if (!vm) return 0;
    const std::optional<unsigned> generation = vm->count("generation") ? std::optional((*vm)["generation"].as<unsigned>()) : std::nullopt;
    std::string archive = generation_location((*vm)["archive"].as<std::string>(), generation);
    if (archive.find("://") == std::string::npos) archive = std::filesystem::absolute(archive).lexically_normal().string();
    const disk::TargetInfo target = disk::probe_target((*vm)["to"].as<std::string>());
    nlohmann::json inoculation = nlohmann::json::object();
    if (vm->count("for")) inoculation["for"] = (*vm)["for"].as<std::vector<std::string>>();
    else inoculation["auto"] = true;
    if (vm->count("drivers")) inoculation["drivers"] = (*vm)["drivers"].as<std::string>();
    const std::string text = recovery_plan(archive, target, inoculation).dump(2) + "\n";
    if (!vm->count("output")) {
        std::cout << text;
        return 0;
    }
    const std::string path = (*vm)["output"].as<std::string>();
    std::ofstream out(path);
    if (!(out << text)) throw Error(ErrorKind::failed, "cannot write " + path);
    std::cerr << "dagda: wrote the plan to " << path << "; check it with dagda run " << path << " --dry-run\n";
    return 0;
}

}  // namespace dagda::app
