#pragma once
/// Which partition is which after a restore onto another disk.
///
/// Windows names a partition of a basic disk by where it is: on MBR by the disk signature and the
/// partition's start in bytes, on GPT by the partition's unique GUID (and the disk GUID in the
/// BCD). MountedDevices and the BCD store hold these identities, so after a restore onto a disk
/// with another signature, other GUIDs or moved partitions they must be rewritten from the old
/// identity to the new one. A DiskMove is that mapping, built from the source disk's layout (as
/// the backup recorded it) and the target disk's layout (as it was written).
/// Pure code: no I/O, no logging.

#include "disk/Layout.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dagda::windows::boot {

/// A GUID in Windows' binary order (Data1 as u32 LE, Data2 and Data3 as u16 LE, Data4 as written):
/// the order of GPT entries, MountedDevices values and BCD device elements alike.
using GuidBytes = std::array<std::uint8_t, 16>;

/// "{09931F21-7FAF-44A9-81D8-1E73C14B9EAF}" for GUID bytes in Windows' binary order.
std::string guid_text(const GuidBytes& guid);

/// How Windows names a partition of a basic disk. Only the fields of `style` are meaningful; the
/// others stay zero, so two identities compare equal exactly when they name the same partition.
struct PartitionIdentity {
    disk::TableKind style = disk::TableKind::dos;
    std::uint32_t disk_signature = 0;  ///< dos: the MBR disk signature (bytes 440..443 of sector 0)
    std::uint64_t offset = 0;          ///< dos: the partition's first byte on the disk
    GuidBytes partition_guid{};        ///< gpt: the partition's unique GUID
    GuidBytes disk_guid{};             ///< gpt: the disk GUID of the GPT header

    /// For plans and reports: "MBR disk 0x273e4cfe, byte offset 368050176" or
    /// "GPT partition {…} on disk {…}".
    std::string describe() const;

    bool operator==(const PartitionIdentity&) const = default;
};

/// One partition: its identity on the source disk and on the target disk.
struct PartitionMove {
    unsigned number = 0;  ///< partition number, the same on both disks
    PartitionIdentity before;
    PartitionIdentity after;

    bool changes() const { return before != after; }
};

/// The identities of every partition of a disk before and after a restore.
class DiskMove {
public:
    /// Pairs the partitions of `before` (the source disk) and `after` (the target disk) by number,
    /// since a restore keeps partition numbers. Throws Error{failed} with the reason when they do
    /// not pair: another partition count or other numbers, a GPT partition without a GUID, an MBR
    /// signature that is not a 32-bit hex number, or a target MBR signature of 0 (Windows
    /// replaces a zero signature when it boots, which would undo the fix-up). Also throws
    /// Error{failed} for MBR to GPT and GPT to MBR: converting the boot style needs more than
    /// renamed partitions (an ESP, UEFI boot files, the BCD in another place) and is not done yet.
    static DiskMove between(const disk::Layout& before, const disk::Layout& after);

    /// Every partition, in the order of the old layout.
    const std::vector<PartitionMove>& partitions() const noexcept { return moves_; }

    /// The partition whose old identity is `identity` (dos: signature and offset; gpt: partition
    /// and disk GUID); nullptr when no partition of the source disk had it.
    const PartitionMove* find(const PartitionIdentity& identity) const;

    /// gpt: the partition whose old unique GUID is `guid`, whatever the disk GUID (MountedDevices
    /// records only the partition GUID); nullptr when none had it or the disks are MBR.
    const PartitionMove* find_gpt_partition(const GuidBytes& guid) const;

    /// True when at least one partition has another identity on the target.
    bool changes_anything() const;

private:
    explicit DiskMove(std::vector<PartitionMove> moves) : moves_(std::move(moves)) {}

    std::vector<PartitionMove> moves_;
};

}  // namespace dagda::windows::boot
