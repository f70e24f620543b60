#include "windows/ntfs/NtfsGrow.hpp"

#include "core/Error.hpp"
#include "core/LoopDevice.hpp"
#include "core/Subprocess.hpp"
#include "core/UniqueFd.hpp"
#include "core/Units.hpp"
#include "windows/ntfs/Ntfs3g.hpp"
#include "windows/ntfs/NtfsVolume.hpp"

#include <array>
#include <cstring>

namespace dagda::windows::ntfs {

namespace {

template <typename T>
T little_endian(const std::uint8_t* bytes) {
    T value = 0;
    for (std::size_t i = sizeof(T); i-- > 0;) value = static_cast<T>((value << 8) | bytes[i]);
    return value;
}

bool marked_dirty(int fd, std::uint64_t offset, std::uint64_t size, const std::string& name) {
    const NtfsVolume volume(fd, offset, size, name, Access::read_only);
    return (volume.handle()->flags & VOLUME_IS_DIRTY) != 0;
}

// The flag ntfsresize set; the volume's own clean state before the resize is what it returns to.
void mark_clean(int fd, std::uint64_t offset, std::uint64_t size, const std::string& name) {
    NtfsVolume volume(fd, offset, size, name, Access::read_write);
    ntfs_volume* handle = volume.handle();
    if (handle->flags & VOLUME_IS_DIRTY) {
        errno = 0;
        if (ntfs_volume_write_flags(handle, static_cast<le16>(handle->flags & ~VOLUME_IS_DIRTY)) != 0)
            throw Error(ErrorKind::failed, "cannot clear the dirty flag ntfsresize set on " + name + ": " + volume.reason(errno));
    }
    volume.close();
}

// ntfsresize records the volume's size in whole clusters and puts the backup boot sector in the
// range's last sector, leaving a gap between them. Windows formats a volume as the partition less
// one sector, its backup boot sector right after it: set the size that way (the cluster count,
// size / cluster, is unchanged), so that whoever looks for the backup after the volume (Windows,
// dagda's own boot fix-up) finds it in the last sector, where ntfsresize wrote it.
void end_at_backup_boot_sector(int fd, std::uint64_t offset, std::uint64_t size, const std::string& name) {
    std::array<std::uint8_t, 512> boot{};
    read_exact(fd, boot.data(), boot.size(), offset, name + " (boot sector)");
    const auto sector_size = little_endian<std::uint16_t>(boot.data() + 0x0B);
    if (sector_size < 256 || sector_size > boot.size() || size % sector_size != 0)
        throw Error(ErrorKind::failed, name + ": unexpected NTFS sector size " + std::to_string(sector_size) + " after ntfsresize");
    const std::uint64_t sectors = size / sector_size - 1;
    for (std::size_t i = 0; i < 8; ++i) boot[0x28 + i] = static_cast<std::uint8_t>(sectors >> (8 * i));
    write_exact(fd, boot.data(), sector_size, offset, name + " (boot sector)");
    write_exact(fd, boot.data(), sector_size, offset + size - sector_size, name + " (backup boot sector)");
    if (::fsync(fd) != 0) throw_errno("cannot flush " + name);
}

}  // namespace

std::uint64_t ntfs_extent_bytes(int fd, std::uint64_t offset, const std::string& name) {
    std::array<std::uint8_t, 512> boot{};
    read_exact(fd, boot.data(), boot.size(), offset, name + " (boot sector)");
    if (std::memcmp(boot.data() + 3, "NTFS    ", 8) != 0) return 0;
    const auto sector_size = little_endian<std::uint16_t>(boot.data() + 0x0B);
    const auto total_sectors = little_endian<std::uint64_t>(boot.data() + 0x28);
    return (total_sectors + 1) * sector_size;
}

NtfsGrowth grow_ntfs(const std::string& device, int fd, std::uint64_t offset, std::uint64_t size, const std::string& name) {
    NtfsGrowth growth;
    growth.from_bytes = ntfs_extent_bytes(fd, offset, name);
    growth.to_bytes = growth.from_bytes;
    if (growth.from_bytes == 0) throw Error(ErrorKind::failed, name + " does not hold an NTFS boot sector: it cannot be grown");
    if (growth.from_bytes + ntfs_grow_minimum > size) return growth;
    if (marked_dirty(fd, offset, size, name)) {
        growth.note = "it is marked dirty (chkdsk is due), and ntfsresize refuses such a volume: let Windows run chkdsk, "
                      "then extend it in Disk Management";
        return growth;
    }
    {
        const LoopDevice loop(device, offset, size, name);
        const ProgramResult result = run_program({"ntfsresize", "--force", "--no-progress-bar", loop.path()});
        if (result.exit_code != 0)
            throw Error(ErrorKind::failed, "ntfsresize could not grow the NTFS on " + name + " to " + human_bytes(size) + " (exit " +
                                               std::to_string(result.exit_code) + "): " + result.err + result.out);
    }
    end_at_backup_boot_sector(fd, offset, size, name);
    mark_clean(fd, offset, size, name);
    growth.to_bytes = ntfs_extent_bytes(fd, offset, name);
    growth.grown = true;
    return growth;
}

}  // namespace dagda::windows::ntfs
