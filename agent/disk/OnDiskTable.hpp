#pragma once
/// Byte-level encoding of the MBR and GPT structures that libparted 3.5 cannot set for us.
///
/// libparted 3.5 has no API for a dos type byte outside its flag mapping, the MBR disk signature,
/// GPT type GUIDs outside its flag mapping, partition and disk GUIDs, GPT attribute bits, or the
/// first/last usable LBA (type-id/type-uuid arrived in parted 3.6), and it derives CHS values
/// from a guessed geometry. Windows-made tables use 255 heads × 63 sectors. These helpers encode
/// exactly what the layout asks for; TableWriter applies them after libparted's commit.
/// Pure code: no I/O, no logging. References: UEFI 2.10 §5.2 (MBR) and §5.3 (GPT).

#include "core/Bytes.hpp"
#include "core/Utf16.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dagda::disk {

/// Size of one MBR partition entry and the offset of the first (bytes 446..509 hold four).
inline constexpr std::size_t mbr_entry_offset = 446;
inline constexpr std::size_t mbr_entry_size = 16;
inline constexpr std::size_t mbr_signature_offset = 440;
/// Two bytes after the disk signature, before the entries: reserved ("copy-protected" 0x5A5A on
/// some disks); the table writer zeroes them, a restore puts back the source's.
inline constexpr std::size_t mbr_reserved_offset = 444;

/// CHS address of `lba` for the 255-head, 63-sector geometry, in MBR byte order (head,
/// sector | cylinder high bits, cylinder low byte). An address past the disk's last whole
/// cylinder (or past cylinder 1023) is clamped to that cylinder's last sector, as Windows writes
/// it: the fixture disk made by Windows 7 ends its second partition with fe 3f 06, not 45 3e 07.
std::array<std::uint8_t, 3> chs_bytes(std::uint64_t lba, std::uint64_t disk_sectors);

/// 16 bytes in GPT's mixed-endian order for a GUID string; throws Error{failed} if malformed.
std::array<std::uint8_t, 16> guid_bytes(const std::string& guid);

/// Upper-case GUID string for 16 bytes in GPT's mixed-endian order.
std::string guid_string(const std::uint8_t* bytes);

/// GPT header fields (UEFI 2.10 table 5-5); the reserved tail is zero.
struct GptHeader {
    std::uint64_t my_lba = 0;
    std::uint64_t alternate_lba = 0;
    std::uint64_t first_usable_lba = 0;
    std::uint64_t last_usable_lba = 0;
    std::array<std::uint8_t, 16> disk_guid{};
    std::uint64_t entries_lba = 0;
    std::uint32_t entry_count = 0;
    std::uint32_t entry_size = 0;
    std::uint32_t entries_crc32 = 0;
};

/// Parses a header sector; nullopt when the signature, size or header CRC is wrong.
std::optional<GptHeader> parse_gpt_header(const std::uint8_t* sector, std::size_t sector_size);

/// Encodes a header into a zeroed sector of `sector_size` bytes, computing the header CRC.
std::vector<std::uint8_t> encode_gpt_header(const GptHeader& header, std::size_t sector_size);

/// Number of sectors the entry array takes (128 entries of 128 bytes: 32 sectors of 512).
std::uint64_t gpt_entry_sectors(std::uint32_t entry_count, std::uint32_t entry_size, unsigned sector_size);

/// First and last usable LBA that a new 128-entry GPT has on a disk of `sectors` sectors.
std::uint64_t default_gpt_first_lba(unsigned sector_size);
std::uint64_t default_gpt_last_lba(std::uint64_t sectors, unsigned sector_size);

}  // namespace dagda::disk
