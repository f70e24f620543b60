#include "steps/StepFingerprints.hpp"

#include "core/Bytes.hpp"
#include "core/Error.hpp"
#include "core/UniqueFd.hpp"
#include "disk/LayoutReader.hpp"
#include "disk/SfdiskJson.hpp"
#include "image/format/Sha256.hpp"
#include "windows/fat/EspVolume.hpp"

#include <fcntl.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>

namespace dagda::steps {

namespace {

using image::format::Sha256;
using image::format::to_hex;

/// The disk as it is now (probed again: a block device may have another /dev name or size).
disk::TargetInfo current(const PlanDisk& disk) { return disk::probe_target(disk.target.path); }

std::string hex_le(const std::uint8_t* bytes, std::size_t size) {
    std::string text;
    char digit[3];
    for (std::size_t i = size; i-- > 0;) {
        std::snprintf(digit, sizeof digit, "%02X", bytes[i]);
        text += digit;
    }
    return text;
}

constexpr std::size_t sector_bytes = 512;
constexpr std::size_t head_bytes = 4096;  ///< read of a volume that is neither NTFS nor FAT
constexpr std::size_t boot_fields_begin = 0x18, boot_fields_end = 0x20;  // sectors per track, heads, hidden sectors
constexpr std::size_t ntfs_size_begin = 0x28, ntfs_size_end = 0x30;       // NTFS total sectors (a grown volume's change)

/// One volume's fingerprint entry, and its text.
std::pair<nlohmann::json, std::string> volume_entry(int fd, const disk::PartitionSpec& part, unsigned sector_size, bool boot_fields,
                                                    const std::string& name) {
    const std::uint64_t size = part.size * sector_size;
    std::array<std::uint8_t, head_bytes> head{};
    const std::size_t length = static_cast<std::size_t>(std::min<std::uint64_t>(size, head.size()));
    read_exact(fd, head.data(), length, part.start * sector_size, name + " partition " + std::to_string(part.number));
    const std::string where = "partition " + std::to_string(part.number);
    nlohmann::json entry{{"partition", part.number}, {"start", part.start}};
    std::string text;
    const bool ntfs = length >= sector_bytes && std::memcmp(head.data() + 3, "NTFS    ", 8) == 0 && head[510] == 0x55 && head[511] == 0xAA;
    const bool fat = !ntfs && length >= sector_bytes && windows::fat::is_fat_boot_sector(head.data());
    std::size_t hashed = length;
    if (ntfs || fat) {
        // The boot sector alone: the sectors after it are FAT32's FSInfo (free-cluster hints that
        // a file written later changes) or boot code.
        hashed = sector_bytes;
        if (!boot_fields) {
            std::fill(head.begin() + boot_fields_begin, head.begin() + boot_fields_end, std::uint8_t{0});
            if (ntfs) std::fill(head.begin() + ntfs_size_begin, head.begin() + ntfs_size_end, std::uint8_t{0});
        }
        const bool fat32 = std::memcmp(head.data() + 0x52, "FAT32   ", 8) == 0;
        text = ntfs ? "NTFS volume " + hex_le(head.data() + 0x48, 8) : "FAT volume " + hex_le(head.data() + (fat32 ? 0x43 : 0x27), 4);
        text += " on " + where;
    }
    const std::string digest = to_hex(Sha256().update(head.data(), hashed).finish());
    entry["digest"] = digest;
    if (!ntfs && !fat) {
        const bool blank = std::all_of(head.begin(), head.begin() + static_cast<std::ptrdiff_t>(length), [](std::uint8_t b) { return b == 0; });
        text = blank ? "a blank " + where : where + " (neither NTFS nor FAT; its first 4 KiB hash to " + digest.substr(0, 12) + "…)";
    }
    return {entry, text};
}

}  // namespace

nlohmann::json table_fingerprint(const PlanDisk& disk) {
    const auto layout = disk::read_layout(current(disk));
    if (!layout) return {{"what", "no partition table"}};
    // Without the device's name: a block device may come back as another /dev node.
    const std::string entries = disk::to_sfdisk_json(disk::retarget(*layout, "disk"));
    const std::size_t count = layout->partitions.size();
    return {{"what", std::string("a ") + disk::to_string(layout->label) + " table " + layout->id + " with " + std::to_string(count) +
                         (count == 1 ? " partition" : " partitions")},
            {"table", disk::to_string(layout->label)},
            {"id", layout->id},
            {"entries", to_hex(Sha256().update(entries).finish())}};
}

nlohmann::json volumes_fingerprint(const PlanDisk& disk, const std::optional<std::vector<unsigned>>& partitions, bool boot_fields) {
    const disk::TargetInfo now = current(disk);
    const auto layout = disk::read_layout(now);
    if (!layout) return {{"what", "no partition table"}};
    const UniqueFd fd = UniqueFd::open(now.path, O_RDONLY);
    nlohmann::json volumes = nlohmann::json::array();
    std::string what;
    const auto add = [&](const std::pair<nlohmann::json, std::string>& entry) {
        volumes.push_back(entry.first);
        what += (what.empty() ? "" : ", ") + entry.second;
    };
    std::vector<unsigned> wanted;
    if (partitions) wanted = *partitions;
    else
        for (const auto& part : layout->partitions) wanted.push_back(part.number);
    for (const unsigned number : wanted) {
        const auto part = std::find_if(layout->partitions.begin(), layout->partitions.end(), [number](const auto& p) { return p.number == number; });
        if (part == layout->partitions.end()) add({{{"partition", number}, {"missing", true}}, "no partition " + std::to_string(number)});
        else if (part->end() * layout->sector_size > now.size_bytes) add({{{"partition", number}, {"past_end", true}}, "partition " + std::to_string(number) + " past the disk's end"});
        else add(volume_entry(fd.get(), *part, layout->sector_size, boot_fields, now.path));
    }
    return {{"what", what.empty() ? "no partitions" : what}, {"volumes", volumes}};
}

nlohmann::json windows_fingerprint(const PlanDisk& disk, std::optional<unsigned> partition) {
    return volumes_fingerprint(disk, partition ? std::optional<std::vector<unsigned>>(std::vector<unsigned>{*partition}) : std::nullopt, false);
}

}  // namespace dagda::steps
