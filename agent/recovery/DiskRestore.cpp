#include "recovery/DiskRestore.hpp"

#include "core/Error.hpp"
#include "core/Units.hpp"
#include "disk/SfdiskJson.hpp"
#include "windows/ntfs/NtfsGrow.hpp"

namespace dagda::recovery {

namespace {

bool grows(const image::format::VolumeInfo& volume, std::uint64_t partition_bytes) {
    return volume.filesystem == "ntfs" && partition_bytes >= volume.volume_size + windows::ntfs::ntfs_grow_minimum;
}

std::string partition_name(const std::string& device, unsigned partition) {
    return device + " partition " + std::to_string(partition);
}

}  // namespace

disk::PlanOptions archive_plan_options(const image::TibArchive& archive, disk::PlanOptions options) {
    if (!archive.layout() || !archive.first_track())
        throw Error(ErrorKind::failed, archive.name() + " holds a volume, not a disk: it has no layout");
    const nlohmann::json& generation = archive.generation();
    // Archives made before dagda recorded the disk's size fit as before: from the partitions' end.
    if (generation.contains("disk_size") && generation["disk_size"].is_number_unsigned() && generation.contains("sector_size") &&
        generation["sector_size"].is_number_unsigned() && generation["sector_size"].get<std::uint64_t>() > 0)
        options.source_sectors = generation["disk_size"].get<std::uint64_t>() / generation["sector_size"].get<std::uint64_t>();
    options.first_track = *archive.first_track();
    return options;
}

disk::Plan archive_disk_plan(const image::TibArchive& archive, const disk::TargetInfo& target, disk::PlanOptions options) {
    options = archive_plan_options(archive, std::move(options));
    return disk::build_plan(disk::parse_layout_json(*archive.layout()), target, options);
}

std::optional<std::string> growth_plan_line(const image::format::VolumeInfo& volume, unsigned partition,
                                            std::uint64_t partition_bytes, bool grow) {
    if (!grows(volume, partition_bytes)) return std::nullopt;
    const std::string sizes = human_bytes(volume.volume_size) + " to " + human_bytes(partition_bytes);
    if (grow) return "Grow NTFS on partition " + std::to_string(partition) + " from " + sizes + " (ntfsresize)";
    return "Leave NTFS on partition " + std::to_string(partition) + " at " + human_bytes(volume.volume_size) + " in its " +
           human_bytes(partition_bytes) + " partition (growing it was turned off): Windows will not use the rest";
}

std::optional<std::string> grow_restored_volume(const image::format::VolumeInfo& volume, unsigned partition,
                                                const std::string& device, int fd, std::uint64_t offset,
                                                std::uint64_t partition_bytes, bool grow) {
    if (!grows(volume, partition_bytes) || !grow) return std::nullopt;
    const std::string name = partition_name(device, partition);
    const windows::ntfs::NtfsGrowth growth = windows::ntfs::grow_ntfs(device, fd, offset, partition_bytes, name);
    if (growth.grown)
        return "grew NTFS on partition " + std::to_string(partition) + " from " + human_bytes(growth.from_bytes) + " to " +
               human_bytes(growth.to_bytes);
    if (!growth.note.empty())
        return "left NTFS on partition " + std::to_string(partition) + " at " + human_bytes(growth.from_bytes) + ": " + growth.note;
    return std::nullopt;
}

}  // namespace dagda::recovery
