#include "windows/boot/NtfsBootSector.hpp"

#include "core/Bytes.hpp"
#include "core/Error.hpp"

#include <cstdio>
#include <cstring>
#include <limits>

namespace dagda::windows::boot {

namespace {

constexpr std::size_t oem_id_offset = 0x03;
constexpr char oem_id[] = "NTFS    ";
constexpr std::size_t bytes_per_sector_offset = 0x0B;
constexpr std::size_t sectors_per_cluster_offset = 0x0D;
constexpr std::size_t sectors_per_track_offset = 0x18;
constexpr std::size_t heads_offset = 0x1A;
constexpr std::size_t hidden_sectors_offset = 0x1C;
constexpr std::size_t total_sectors_offset = 0x28;
constexpr std::size_t end_marker_offset = 0x1FE;

[[noreturn]] void not_ntfs(const std::string& why) { throw Error(ErrorKind::failed, "not an NTFS boot sector: " + why); }

std::string hex(std::size_t number) {
    char text[24];
    std::snprintf(text, sizeof text, "0x%02zX", number);
    return text;
}

// Clusters up to 128 sectors store the sector count; larger ones (Windows 10 1709 and later allow
// up to 2 MiB) store the power of two of the sector count negated, as a byte (ntfs-3g
// bootsect.c). 0 means the byte is invalid.
std::uint32_t cluster_bytes(std::uint8_t code, std::uint16_t bytes_per_sector) {
    constexpr std::uint32_t largest = 2 * 1024 * 1024;
    if (code == 0) return 0;
    if (code <= 0x80) return std::uint32_t{code} * bytes_per_sector;
    const unsigned shift = 256u - code;
    if (shift > 21) return 0;
    const std::uint64_t bytes = (std::uint64_t{1} << shift) * bytes_per_sector;
    return bytes <= largest ? static_cast<std::uint32_t>(bytes) : 0;
}

void check_geometry(DiskGeometry geometry) {
    if (geometry.heads < 1 || geometry.heads > 255 || geometry.sectors_per_track < 1 || geometry.sectors_per_track > 63)
        throw Error(ErrorKind::failed, "BIOS geometry of " + std::to_string(geometry.heads) + " heads and " +
                                           std::to_string(geometry.sectors_per_track) +
                                           " sectors per track is impossible (1..255 heads, 1..63 sectors per track)");
}

}  // namespace

NtfsBootSector parse_ntfs_boot_sector(std::span<const std::uint8_t> sector) {
    if (sector.size() != ntfs_boot_sector_size)
        not_ntfs(std::to_string(sector.size()) + " bytes given, a boot sector is " + std::to_string(ntfs_boot_sector_size));
    const std::uint8_t* p = sector.data();
    if (std::memcmp(p + oem_id_offset, oem_id, 8) != 0) not_ntfs("its OEM id is not \"NTFS    \"");
    if (load_le<std::uint16_t>(p + end_marker_offset) != 0xAA55) not_ntfs("it does not end in 55 AA");
    NtfsBootSector out;
    out.bytes_per_sector = load_le<std::uint16_t>(p + bytes_per_sector_offset);
    const std::uint16_t bps = out.bytes_per_sector;
    if (bps < 256 || bps > 4096 || (bps & (bps - 1)) != 0)
        not_ntfs("bytes per sector is " + std::to_string(bps) + ", not a power of two from 256 to 4096");
    out.cluster_size = cluster_bytes(p[sectors_per_cluster_offset], bps);
    if (out.cluster_size == 0) not_ntfs("its sectors-per-cluster byte " + hex(p[sectors_per_cluster_offset]) + " is invalid");
    out.sectors_per_track = load_le<std::uint16_t>(p + sectors_per_track_offset);
    out.heads = load_le<std::uint16_t>(p + heads_offset);
    out.hidden_sectors = load_le<std::uint32_t>(p + hidden_sectors_offset);
    out.total_sectors = load_le<std::uint64_t>(p + total_sectors_offset);
    if (out.total_sectors == 0) not_ntfs("its volume size is 0 sectors");
    return out;
}

std::string BootSectorChange::describe() const {
    return field + " (" + hex(offset) + "): " + std::to_string(before) + " -> " + std::to_string(after);
}

std::vector<BootSectorChange> plan_boot_sector_fix(std::span<const std::uint8_t> sector, std::uint64_t partition_start,
                                                   DiskGeometry geometry) {
    const NtfsBootSector current = parse_ntfs_boot_sector(sector);
    check_geometry(geometry);
    if (partition_start > std::numeric_limits<std::uint32_t>::max())
        throw Error(ErrorKind::failed, "partition start " + std::to_string(partition_start) +
                                           " does not fit the boot sector's 32-bit hidden sectors field; a volume this "
                                           "far into the disk cannot be started by BIOS boot code");
    std::vector<BootSectorChange> changes;
    const auto note = [&changes](const char* field, std::size_t offset, std::uint64_t before, std::uint64_t after) {
        if (before != after) changes.push_back({field, offset, before, after});
    };
    note("sectors per track", sectors_per_track_offset, current.sectors_per_track, geometry.sectors_per_track);
    note("heads", heads_offset, current.heads, geometry.heads);
    note("hidden sectors", hidden_sectors_offset, current.hidden_sectors, partition_start);
    return changes;
}

std::vector<BootSectorChange> apply_boot_sector_fix(std::span<std::uint8_t> sector, std::uint64_t partition_start,
                                                    DiskGeometry geometry) {
    const std::vector<BootSectorChange> changes = plan_boot_sector_fix(sector, partition_start, geometry);
    std::uint8_t* p = sector.data();
    for (const BootSectorChange& change : changes) {
        if (change.offset == hidden_sectors_offset) store_le(p + change.offset, static_cast<std::uint32_t>(change.after));
        else store_le(p + change.offset, static_cast<std::uint16_t>(change.after));
    }
    return changes;
}

}  // namespace dagda::windows::boot
