#pragma once
/// The NTFS boot sector's fields that go stale when a volume moves to another place or disk.
///
/// The BIOS boot path (MBR code → the active partition's boot sector → BOOTMGR) reads the
/// volume through "hidden sectors" (the partition's start LBA) and the CHS geometry in the BPB;
/// a stale value gives "A disk read error occurred" or "BOOTMGR is missing". UEFI boot does not
/// use them, and Windows itself ignores them once running. BPB offsets (ntfs-3g layout.h):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0x03 | 8 | OEM id "NTFS    " |
/// | 0x0B | 2 | bytes per sector |
/// | 0x0D | 1 | sectors per cluster (above 0x80: 2^(256 − n) sectors, for clusters up to 2 MiB) |
/// | 0x18 | 2 | sectors per track |
/// | 0x1A | 2 | heads |
/// | 0x1C | 4 | hidden sectors = partition start LBA |
/// | 0x28 | 8 | total sectors of the volume |
/// | 0x1FE | 2 | 55 AA |
///
/// NTFS keeps a backup of this sector just past the volume's last sector (at byte
/// total_sectors × bytes_per_sector from the volume's start, the partition's last sector); it
/// must get the same fix, as partclone.ntfsfixboot does. Pure functions on the first 512 bytes:
/// the caller reads and writes both copies.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace dagda::windows::boot {

/// The bytes of the boot sector these functions read and change (the BPB lies within them, also
/// on a volume of 4096-byte sectors).
inline constexpr std::size_t ntfs_boot_sector_size = 512;

/// The BPB fields of an NTFS boot sector.
struct NtfsBootSector {
    std::uint16_t bytes_per_sector = 0;
    std::uint32_t cluster_size = 0;       ///< bytes per cluster, decoded from the sectors-per-cluster byte
    std::uint16_t sectors_per_track = 0;
    std::uint16_t heads = 0;
    std::uint32_t hidden_sectors = 0;     ///< the partition's start LBA as the volume records it
    std::uint64_t total_sectors = 0;      ///< the volume's size in sectors (the backup sector not counted)

    /// Where the backup boot sector is, in bytes from the start of the volume.
    std::uint64_t backup_offset() const { return total_sectors * bytes_per_sector; }
};

/// Decodes an NTFS boot sector. Throws Error{failed} naming the reason when `sector` is not
/// ntfs_boot_sector_size bytes or not an NTFS boot sector (OEM id, 55 AA, a bytes-per-sector
/// other than 256..4096 in powers of two, a zero cluster size or volume size).
NtfsBootSector parse_ntfs_boot_sector(std::span<const std::uint8_t> sector);

/// The BIOS geometry to record; 255 heads and 63 sectors per track is what Windows and every
/// current firmware use for disks past 8 GB.
struct DiskGeometry {
    std::uint16_t heads = 255;
    std::uint16_t sectors_per_track = 63;
};

/// One BPB field that a fix changes.
struct BootSectorChange {
    std::string field;   ///< "hidden sectors"
    std::size_t offset;  ///< its offset in the sector
    std::uint64_t before;
    std::uint64_t after;

    /// "hidden sectors (0x1C): 2048 -> 1050624", a line of a dry run.
    std::string describe() const;
};

/// The changes that make `sector` right for a volume starting at LBA `partition_start` on a disk
/// of `geometry`; empty when it already is. Throws Error{failed} as parse_ntfs_boot_sector, when
/// the start does not fit the 32-bit hidden-sectors field (a volume past 2 TiB on 512-byte
/// sectors cannot be BIOS-booted anyway), or for a geometry outside 1..255 heads and 1..63
/// sectors per track.
std::vector<BootSectorChange> plan_boot_sector_fix(std::span<const std::uint8_t> sector, std::uint64_t partition_start,
                                                   DiskGeometry geometry = {});

/// Makes the changes plan_boot_sector_fix() lists in `sector` and returns them; throws as it does,
/// before changing anything.
std::vector<BootSectorChange> apply_boot_sector_fix(std::span<std::uint8_t> sector, std::uint64_t partition_start,
                                                    DiskGeometry geometry = {});

}  // namespace dagda::windows::boot
