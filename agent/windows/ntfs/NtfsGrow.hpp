#pragma once
/// Growing a restored NTFS to fill a partition larger than the one it was captured from: without
/// it the volume keeps its old size, and its backup boot sector (the volume's last sector) lies
/// inside the partition instead of at its end, which `ntfsfix -n` reports as a bad alternate boot
/// sector and Windows does not use the new space.

#include <cstdint>
#include <string>

namespace dagda::windows::ntfs {

/// The bytes an NTFS occupies, its backup boot sector included ((total sectors + 1) × sector
/// size, from the boot sector at `offset`); 0 when the range does not start with an NTFS boot sector.
std::uint64_t ntfs_extent_bytes(int fd, std::uint64_t offset, const std::string& name);

/// Less room than this after an NTFS is not worth a resize: ntfsresize keeps whole clusters (up
/// to 64 KiB), so it may have nothing to add.
inline constexpr std::uint64_t ntfs_grow_minimum = 65536;

struct NtfsGrowth {
    std::uint64_t from_bytes = 0;  ///< the extent before
    std::uint64_t to_bytes = 0;    ///< the extent after: the partition's size when grown
    bool grown = false;
    std::string note;  ///< why it was not grown, when it was not
};

/// Grows the NTFS of `size` bytes at `offset` of `device` (opened as `fd`) to fill them, with
/// ntfs-3g's ntfsresize on a loop device over that range; the backup boot sector then sits in the
/// range's last sector, and the volume's size is set to the range less that sector, as Windows
/// formats one (ntfsresize rounds it down to whole clusters). ntfsresize schedules a chkdsk (sets the dirty flag) as a precaution; a
/// volume that was clean before is marked clean again, since dagda's later offline edits refuse
/// dirty volumes and the resize leaves it consistent (its $LogFile reset). A volume already
/// filling the range is left alone; one marked dirty before is not resized (note says so).
/// Throws Error{failed} with ntfsresize's message when it fails.
NtfsGrowth grow_ntfs(const std::string& device, int fd, std::uint64_t offset, std::uint64_t size, const std::string& name);

}  // namespace dagda::windows::ntfs
