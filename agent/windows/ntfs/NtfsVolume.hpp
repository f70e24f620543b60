#pragma once
/// An NTFS volume opened with libntfs-3g from a byte range (a partition of a disk or image, or a
/// whole volume file). One `ntfs_volume` per object; unmounted in the destructor.

#include "windows/ntfs/RangeDevice.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct _ntfs_volume;

namespace dagda::windows::ntfs {

/// Whether MFT record `record` is one of NTFS's own files: $MFT, $MFTMirr, $LogFile, $Volume,
/// $AttrDef, the root, $Bitmap, $Boot, $BadClus, $Secure, $UpCase, $Extend and the reserved
/// records up to 15 (libntfs-3g's FILE_first_user is 16). They describe the volume they are on:
/// never listed as a server's files, never walked into an archive, never copied from one volume
/// onto another, never written by the editor. What $Extend holds ($UsnJrnl, $ObjId, …) is
/// reached only through $Extend, so it is covered too.
constexpr bool is_ntfs_metadata(std::uint64_t record) { return record < 16 && record != 5; }  // 5: the root folder

/// How a volume is mounted. Read-write mounts go through open_for_editing (EditableVolume.hpp),
/// which refuses BitLocker, dirty and hibernated volumes first.
enum class Access {
    read_only,
    read_write,
    /// read-write although hiberfil.sys holds a hibernated system, to delete it
    read_write_discarding_hibernation,
};

class NtfsVolume {
public:
    /// Mounts the range; throws Error{failed} with libntfs-3g's reason (not NTFS, corrupt,
    /// hibernated, …).
    NtfsVolume(int fd, std::uint64_t offset, std::uint64_t size, const std::string& name, Access access);
    /// Mounts read-only a volume whose bytes come from `read` (one inside a backup archive).
    NtfsVolume(ReadFunction read, std::uint64_t size, const std::string& name);
    NtfsVolume(const NtfsVolume&) = delete;
    NtfsVolume& operator=(const NtfsVolume&) = delete;
    ~NtfsVolume();

    /// Unmounts, writing everything libntfs-3g holds and syncing the device; throws Error{failed}
    /// when that fails. Call it before reporting an edit done (the destructor cannot report).
    void close();

    std::uint32_t cluster_size() const;
    std::uint64_t cluster_count() const;
    /// $Bitmap: one bit per cluster (LSB first), 1 = in use; exactly cluster_count() bits.
    std::vector<std::uint8_t> cluster_bitmap() const;

    /// The libntfs-3g volume, for the other classes of windows/ntfs only.
    struct _ntfs_volume* handle() const noexcept { return volume_; }
    const std::string& name() const noexcept { return name_; }
    /// libntfs-3g's errno text, or the reason a read of the underlying bytes failed.
    std::string reason(int saved_errno) const;

private:
    void mount(Access access);

    std::unique_ptr<RangeDevice> device_;
    struct _ntfs_volume* volume_;
    std::string name_;
};

/// Which blocks of an NTFS volume hold data, for an image capture.
struct UsedBlocks {
    std::uint32_t block_size = 0;          ///< the cluster size (at most 64 KiB; larger clusters are split)
    std::vector<std::uint8_t> bitmap;      ///< one bit per block of the whole range, LSB first
};

/// The clusters $Bitmap marks used, plus the block holding the range's last sector, where NTFS
/// keeps the backup boot sector that no cluster covers (partclone.ntfs 0.3.23 loses it).
/// Throws Error{failed} when the range is not a readable NTFS volume.
UsedBlocks ntfs_used_blocks(int fd, std::uint64_t offset, std::uint64_t size, const std::string& name);

}  // namespace dagda::windows::ntfs
