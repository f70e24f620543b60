#include "disk/OnDiskTable.hpp"

#include "core/Crc32.hpp"
#include "core/Error.hpp"
#include "disk/PartitionTypes.hpp"

#include <algorithm>
#include <cstring>

namespace dagda::disk {

namespace {

constexpr std::uint64_t heads = 255;
constexpr std::uint64_t sectors_per_track = 63;
constexpr char gpt_signature[] = "EFI PART";
constexpr std::uint32_t gpt_revision = 0x00010000;
constexpr std::uint32_t gpt_header_size = 92;
constexpr std::uint32_t gpt_default_entries = 128;
constexpr std::uint32_t gpt_default_entry_size = 128;

}  // namespace

std::array<std::uint8_t, 3> chs_bytes(std::uint64_t lba, std::uint64_t disk_sectors) {
    const std::uint64_t whole_cylinders = disk_sectors / (heads * sectors_per_track);
    const std::uint64_t max_cylinder = std::min<std::uint64_t>(1023, whole_cylinders == 0 ? 0 : whole_cylinders - 1);
    std::uint64_t cylinder = lba / (heads * sectors_per_track);
    std::uint64_t head = (lba / sectors_per_track) % heads;
    std::uint64_t sector = lba % sectors_per_track + 1;
    if (cylinder > max_cylinder) {
        cylinder = max_cylinder;
        head = 254;
        sector = 63;
    }
    return {static_cast<std::uint8_t>(head),
            static_cast<std::uint8_t>(sector | ((cylinder >> 2) & 0xC0)),
            static_cast<std::uint8_t>(cylinder & 0xFF)};
}

std::array<std::uint8_t, 16> guid_bytes(const std::string& guid) {
    const auto text = normalize_guid(guid);
    if (!text) throw Error(ErrorKind::failed, "not a GUID: " + guid);
    std::string hex;
    for (const char c : *text)
        if (c != '-') hex += c;
    std::array<std::uint8_t, 16> plain{};
    for (std::size_t i = 0; i < 16; ++i) plain[i] = static_cast<std::uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
    // The first three fields are stored little-endian, the last two as written.
    std::array<std::uint8_t, 16> out = plain;
    for (std::size_t i = 0; i < 4; ++i) out[i] = plain[3 - i];
    for (std::size_t i = 0; i < 2; ++i) out[4 + i] = plain[5 - i];
    for (std::size_t i = 0; i < 2; ++i) out[6 + i] = plain[7 - i];
    return out;
}

std::string guid_string(const std::uint8_t* b) {
    static const std::array<int, 16> order{3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (std::size_t i = 0; i < order.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
        const std::uint8_t byte = b[order[i]];
        out += hex[byte >> 4];
        out += hex[byte & 15];
    }
    return out;
}

std::optional<GptHeader> parse_gpt_header(const std::uint8_t* sector, std::size_t sector_size) {
    if (sector_size < gpt_header_size || std::memcmp(sector, gpt_signature, 8) != 0) return std::nullopt;
    const auto size = load_le<std::uint32_t>(sector + 12);
    if (size < gpt_header_size || size > sector_size) return std::nullopt;
    std::vector<std::uint8_t> copy(sector, sector + size);
    std::memset(copy.data() + 16, 0, 4);
    if (crc32(copy.data(), copy.size()) != load_le<std::uint32_t>(sector + 16)) return std::nullopt;
    GptHeader h;
    h.my_lba = load_le<std::uint64_t>(sector + 24);
    h.alternate_lba = load_le<std::uint64_t>(sector + 32);
    h.first_usable_lba = load_le<std::uint64_t>(sector + 40);
    h.last_usable_lba = load_le<std::uint64_t>(sector + 48);
    std::memcpy(h.disk_guid.data(), sector + 56, 16);
    h.entries_lba = load_le<std::uint64_t>(sector + 72);
    h.entry_count = load_le<std::uint32_t>(sector + 80);
    h.entry_size = load_le<std::uint32_t>(sector + 84);
    h.entries_crc32 = load_le<std::uint32_t>(sector + 88);
    if (h.entry_size < 128 || h.entry_size > 4096 || h.entry_size % 8 != 0 || h.entry_count == 0 || h.entry_count > 16384)
        return std::nullopt;
    return h;
}

std::vector<std::uint8_t> encode_gpt_header(const GptHeader& h, std::size_t sector_size) {
    std::vector<std::uint8_t> sector(sector_size, 0);
    std::memcpy(sector.data(), gpt_signature, 8);
    store_le(sector.data() + 8, gpt_revision);
    store_le(sector.data() + 12, gpt_header_size);
    store_le(sector.data() + 24, h.my_lba);
    store_le(sector.data() + 32, h.alternate_lba);
    store_le(sector.data() + 40, h.first_usable_lba);
    store_le(sector.data() + 48, h.last_usable_lba);
    std::memcpy(sector.data() + 56, h.disk_guid.data(), 16);
    store_le(sector.data() + 72, h.entries_lba);
    store_le(sector.data() + 80, h.entry_count);
    store_le(sector.data() + 84, h.entry_size);
    store_le(sector.data() + 88, h.entries_crc32);
    store_le(sector.data() + 16, crc32(sector.data(), gpt_header_size));
    return sector;
}

std::uint64_t gpt_entry_sectors(std::uint32_t entry_count, std::uint32_t entry_size, unsigned sector_size) {
    const std::uint64_t bytes = std::uint64_t{entry_count} * entry_size;
    return (bytes + sector_size - 1) / sector_size;
}

std::uint64_t default_gpt_first_lba(unsigned sector_size) {
    return 2 + gpt_entry_sectors(gpt_default_entries, gpt_default_entry_size, sector_size);
}

std::uint64_t default_gpt_last_lba(std::uint64_t sectors, unsigned sector_size) {
    return sectors - 2 - gpt_entry_sectors(gpt_default_entries, gpt_default_entry_size, sector_size);
}

}  // namespace dagda::disk
