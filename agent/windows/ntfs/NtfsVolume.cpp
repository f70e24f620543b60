#include "windows/ntfs/NtfsVolume.hpp"

#include "core/Error.hpp"

#include "windows/ntfs/Ntfs3g.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace dagda::windows::ntfs {

NtfsVolume::NtfsVolume(int fd, std::uint64_t offset, std::uint64_t size, const std::string& name, Access access)
    : device_(std::make_unique<RangeDevice>(fd, offset, size, name, access != Access::read_only)), volume_(nullptr), name_(name) {
    mount(access);
}

NtfsVolume::NtfsVolume(ReadFunction read, std::uint64_t size, const std::string& name)
    : device_(std::make_unique<RangeDevice>(std::move(read), size, name)), volume_(nullptr), name_(name) {
    mount(Access::read_only);
}

void NtfsVolume::mount(Access access) {
    const unsigned long flags = access == Access::read_only                           ? NTFS_MNT_RDONLY
                                : access == Access::read_write_discarding_hibernation ? NTFS_MNT_IGNORE_HIBERFILE
                                                                                      : NTFS_MNT_NONE;
    errno = 0;
    volume_ = ntfs_device_mount(device_->handle(), flags);
    if (!volume_) {
        const int saved = errno;
        // libntfs-3g refuses to write a volume whose $LogFile still holds transactions: Windows
        // did not shut down fully (a crash, or Fast Startup).
        if (saved == EOPNOTSUPP && access != Access::read_only)
            throw Error(ErrorKind::refused, name_ + " holds unfinished NTFS transactions: Windows did not shut down fully (a crash, or "
                                                    "Fast Startup). Boot it and shut it down fully, then try again (nothing was written)");
        throw Error(ErrorKind::failed, "libntfs-3g cannot open NTFS on " + name_ + ": " + reason(saved));
    }
    // The device stays ours to read last_error() from; libntfs-3g frees it in ntfs_umount.
    device_->release();
}

std::string NtfsVolume::reason(int saved_errno) const {
    if (!device_->last_error().empty()) return device_->last_error();
    return saved_errno ? std::strerror(saved_errno) : "not an NTFS volume";
}

NtfsVolume::~NtfsVolume() {
    if (volume_) ntfs_umount(volume_, FALSE);
}

void NtfsVolume::close() {
    if (!volume_) return;
    errno = 0;
    const int rc = ntfs_umount(volume_, FALSE);
    volume_ = nullptr;
    if (rc != 0) throw Error(ErrorKind::failed, "cannot finish writing " + name_ + ": " + reason(errno));
}

std::uint32_t NtfsVolume::cluster_size() const { return volume_->cluster_size; }

std::uint64_t NtfsVolume::cluster_count() const { return static_cast<std::uint64_t>(volume_->nr_clusters); }

std::vector<std::uint8_t> NtfsVolume::cluster_bitmap() const {
    const std::uint64_t clusters = cluster_count();
    std::vector<std::uint8_t> bitmap((clusters + 7) / 8);
    const s64 got = ntfs_attr_pread(volume_->lcnbmp_na, 0, static_cast<s64>(bitmap.size()), bitmap.data());
    if (got != static_cast<s64>(bitmap.size()))
        throw Error(ErrorKind::failed, name_ + ": cannot read the NTFS $Bitmap (" + std::to_string(got) + " of " +
                                           std::to_string(bitmap.size()) + " bytes)");
    if (clusters % 8) bitmap.back() &= static_cast<std::uint8_t>((1u << (clusters % 8)) - 1);  // $Bitmap pads with ones
    return bitmap;
}

UsedBlocks ntfs_used_blocks(int fd, std::uint64_t offset, std::uint64_t size, const std::string& name) {
    const NtfsVolume volume(fd, offset, size, name, Access::read_only);
    const std::uint64_t cluster = volume.cluster_size();
    const std::vector<std::uint8_t> clusters = volume.cluster_bitmap();
    UsedBlocks used;
    used.block_size = static_cast<std::uint32_t>(std::min<std::uint64_t>(cluster, 65536));
    const std::uint64_t blocks = (size + used.block_size - 1) / used.block_size;
    used.bitmap.assign((blocks + 7) / 8, 0);
    const auto set = [&](std::uint64_t block) { used.bitmap[block / 8] |= static_cast<std::uint8_t>(1u << (block % 8)); };
    for (std::uint64_t block = 0; block < blocks; ++block) {
        const std::uint64_t c = block * used.block_size / cluster;
        if (c < volume.cluster_count() && ((clusters[c / 8] >> (c % 8)) & 1)) set(block);
    }
    set((size - 1) / used.block_size);  // the backup boot sector
    return used;
}

}  // namespace dagda::windows::ntfs
