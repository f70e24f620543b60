#pragma once
/// What a whole-disk restore writes, in one place for its two callers: `dagda tib restore --disk`
/// and the plan steps the controller runs (disk.apply_layout from an archive, image.restore).
/// Both build the table with archive_disk_plan and grow each restored filesystem with
/// grow_restored_volume, so the same archive on the same disk gives the same bytes either way.

#include "disk/Plan.hpp"
#include "image/TibArchive.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace dagda::recovery {

/// `options` completed from a disk archive: fitted by the difference between the source disk's
/// size (recorded at capture) and the target's, and the source's first track (sector 0's bytes
/// 444-445, the boot-loader gap) written after the table. Throws Error{failed} for a volume archive.
disk::PlanOptions archive_plan_options(const image::TibArchive& archive, disk::PlanOptions options);

/// The plan that writes the archive's layout onto `target` (archive_plan_options, then build_plan).
disk::Plan archive_disk_plan(const image::TibArchive& archive, const disk::TargetInfo& target, disk::PlanOptions options);

/// The plan line for what happens to `volume`'s filesystem once restored onto a partition of
/// `partition_bytes`: "Grow NTFS on partition 2 from 30 MiB to 62 MiB", or what is left as it is
/// with `grow` false; nullopt when the partition is no larger or the filesystem is not NTFS.
std::optional<std::string> growth_plan_line(const image::format::VolumeInfo& volume, unsigned partition,
                                            std::uint64_t partition_bytes, bool grow);

/// After `volume` was restored onto partition `partition` (`partition_bytes` at `offset` of
/// `device`, open as `fd`): grows its NTFS to fill the partition when growth_plan_line says so.
/// Returns what was done, for the operator; nullopt when there was nothing to do.
std::optional<std::string> grow_restored_volume(const image::format::VolumeInfo& volume, unsigned partition,
                                                const std::string& device, int fd, std::uint64_t offset,
                                                std::uint64_t partition_bytes, bool grow);

}  // namespace dagda::recovery
