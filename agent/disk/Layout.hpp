#pragma once
/// The partition layout of a disk, as sfdisk's JSON dump describes it.
///
/// One model serves three uses: what `dagda disk show` prints, what `dagda disk apply` is asked to
/// write, and what the TIB format stores. Values are kept in sfdisk's own spelling (type "7" or an
/// upper-case GUID) so that a layout read by sfdisk and one read by dagda are the same document.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dagda::disk {

/// Partition table kind, named as sfdisk names it.
enum class TableKind { dos, gpt };

const char* to_string(TableKind kind) noexcept;

/// Size of the MBR boot code area (bytes 0..439 of sector 0).
inline constexpr std::size_t mbr_boot_code_size = 440;

struct PartitionSpec {
    unsigned number = 0;          ///< 1-based slot in the table (sfdisk's node suffix)
    std::uint64_t start = 0;      ///< first sector
    std::uint64_t size = 0;       ///< length in sectors
    std::string type;             ///< dos: hex byte without 0x ("7", "ef"); gpt: upper-case GUID
    std::optional<std::string> uuid;  ///< gpt: partition GUID, upper case
    std::optional<std::string> name;  ///< gpt: partition name (UTF-8)
    std::uint64_t attrs = 0;      ///< gpt: attribute bits (sfdisk "attrs" text)
    bool bootable = false;        ///< dos: active flag (0x80)

    std::uint64_t end() const noexcept { return start + size; }  ///< first sector after
};

struct Layout {
    TableKind label = TableKind::dos;
    std::string id;               ///< dos: "0x7ef7f55d"; gpt: upper-case disk GUID
    std::string device;           ///< the path the layout was read from or is meant for
    std::optional<std::uint64_t> first_lba;  ///< gpt: first usable sector
    std::optional<std::uint64_t> last_lba;   ///< gpt: last usable sector
    unsigned sector_size = 512;   ///< logical sector size in bytes
    std::vector<PartitionSpec> partitions;   ///< ordered by number (the parser and reader sort them)
    /// dagda extension: the 440 bytes of MBR boot code, when the layout carries them.
    std::optional<std::vector<std::uint8_t>> boot_code;
};

/// First slot number of a dos logical partition (slots 1-4 are the MBR's own entries).
inline constexpr unsigned first_logical_number = 5;
/// Highest slot number dagda accepts for a logical partition.
inline constexpr unsigned max_logical_number = 64;

/// sfdisk's node name for partition `number` of `device`: "disk.img1", "/dev/loop0p1", "/dev/nvme0n1p2".
std::string partition_node(const std::string& device, unsigned number);

/// The same layout addressed to another device (device and node names follow).
Layout retarget(Layout layout, const std::string& device);

}  // namespace dagda::disk
