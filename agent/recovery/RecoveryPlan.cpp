// The whole-server plan, so the common case needs no hand-written JSON. The archive is read
// twice over: its newest generation's layout and volumes decide the steps, and each NTFS volume
// is mounted through the chain (no restore) to see whether it holds a Windows to inoculate.

#include "recovery/RecoveryPlan.hpp"

#include "core/Error.hpp"
#include "image/ArchiveChain.hpp"
#include "image/VolumeReader.hpp"
#include "windows/ntfs/NtfsVolume.hpp"
#include "windows/system/WindowsInstall.hpp"

#include <filesystem>

namespace dagda::recovery {

namespace {

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

std::string generation_location(const std::string& location, std::optional<unsigned> number) {
    if (!number) return location;
    image::ArchiveChain chain(location);
    const std::size_t count = chain.chain().size();
    if (*number < 1 || *number > count)
        throw Error(ErrorKind::usage, location + " is generation " + std::to_string(count) + " of its chain; the generation must be 1 to " +
                                          std::to_string(count));
    return chain.chain()[count - *number]->name();  // the chain is newest first
}

std::vector<std::string> chain_file_names(const std::string& location) {
    image::ArchiveChain chain(location);
    std::vector<std::string> names;
    for (const auto& generation : chain.chain()) names.push_back(std::filesystem::path(generation->name()).filename().string());
    return names;
}

nlohmann::json recovery_plan(const ArchiveLocation& archive, const RecoveryTarget& target, const nlohmann::json& inoculation, PlanTarget holds) {
    image::ArchiveChain chain(archive.open, archive.access);
    if (!chain.newest().layout())
        throw Error(ErrorKind::failed, chain.newest().name() + " holds a volume, not a disk; a whole-disk plan needs a disk backup");
    bool ntfs = false, windows = false;
    for (const auto& volume : chain.newest().volumes()) {
        if (volume.filesystem != "ntfs") continue;
        ntfs = true;
        windows = windows || holds_windows(chain, volume.number);
    }
    const std::string& reference = archive.reference;
    nlohmann::json steps = nlohmann::json::array();
    if (holds != PlanTarget::replica_with_table)
        steps.push_back({{"step", "disk.apply_layout"}, {"disk", "target"}, {"layout", {{"archive", reference}}}, {"fit", true}});
    if (holds == PlanTarget::blank) steps.push_back({{"step", "image.restore"}, {"disk", "target"}, {"archive", reference}, {"volumes", "all"}});
    if (windows) {
        nlohmann::json inoculate{{"step", "windows.inoculate"}, {"disk", "target"}};
        inoculate.update(inoculation);
        steps.push_back(inoculate);
    }
    // NTFS boot sectors name where their volume starts, Windows or not.
    if (ntfs) steps.push_back({{"step", "windows.fixup_boot"}, {"disk", "target"}, {"archive", reference}});
    if (holds != PlanTarget::blank)
        return {{"dagda_plan", 1},
                {"name", "make the replica " + target.description + " a bootable disk of " + reference + " in place" +
                             (holds == PlanTarget::replica_with_table ? " (its partition table kept)" : " (its partition table written)")},
                {"disks", {{"target", target.identity}}},
                {"steps", steps}};
    return {{"dagda_plan", 1},
            {"name", "recover " + reference + " onto " + target.description +
                         (target.contents.empty() ? "" : "; the disk holds data: " + target.contents + ": it will be overwritten")},
            {"disks", {{"target", target.identity}}},
            {"steps", steps}};
}

}  // namespace dagda::recovery
