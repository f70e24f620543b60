#include "disk/TableWriter.hpp"

#include "core/Error.hpp"
#include "core/UniqueFd.hpp"
#include "disk/OnDiskTable.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <utility>

namespace dagda::disk {

namespace {

using Range = std::pair<std::uint64_t, std::uint64_t>;  // first sector, sector count

std::set<Range> layout_ranges(const Layout& layout) {
    std::set<Range> ranges;
    for (const auto& part : layout.partitions) ranges.insert({part.start, part.size});
    return ranges;
}

void require_same_ranges(const std::set<Range>& written, const Layout& layout, const TargetInfo& target) {
    if (written != layout_ranges(layout))
        throw Error(ErrorKind::failed, "libparted did not place the partitions the layout asks for on " + target.path +
                                           "; the table there is incomplete");
}

void write_dos(int fd, const Layout& layout, const TargetInfo& target) {
    std::vector<std::uint8_t> mbr(target.logical_sector_size);
    read_exact(fd, mbr.data(), mbr.size(), 0, target.path + " (MBR)");
    std::set<Range> written;
    for (std::size_t slot = 0; slot < 4; ++slot) {
        const std::uint8_t* entry = mbr.data() + mbr_entry_offset + slot * mbr_entry_size;
        if (entry[4] != 0) written.insert({load_le<std::uint32_t>(entry + 8), load_le<std::uint32_t>(entry + 12)});
    }
    require_same_ranges(written, layout, target);
    std::memset(mbr.data() + mbr_entry_offset, 0, 4 * mbr_entry_size);
    for (const auto& part : layout.partitions) {
        std::uint8_t* entry = mbr.data() + mbr_entry_offset + (part.number - 1) * mbr_entry_size;
        entry[0] = part.bootable ? 0x80 : 0x00;
        const auto first = chs_bytes(part.start, target.sectors());
        const auto last = chs_bytes(part.end() - 1, target.sectors());
        std::copy(first.begin(), first.end(), entry + 1);
        entry[4] = static_cast<std::uint8_t>(std::stoul(part.type, nullptr, 16));
        std::copy(last.begin(), last.end(), entry + 5);
        store_le(entry + 8, static_cast<std::uint32_t>(part.start));
        store_le(entry + 12, static_cast<std::uint32_t>(part.size));
    }
    store_le(mbr.data() + mbr_signature_offset, static_cast<std::uint32_t>(std::stoul(layout.id, nullptr, 16)));
    mbr[444] = mbr[445] = 0;
    mbr[510] = 0x55;
    mbr[511] = 0xAA;
    write_exact(fd, mbr.data(), mbr.size(), 0, target.path + " (MBR)");
}

GptHeader read_header(int fd, std::uint64_t lba, const TargetInfo& target, const char* which) {
    std::vector<std::uint8_t> sector(target.logical_sector_size);
    read_exact(fd, sector.data(), sector.size(), lba * target.logical_sector_size, target.path + " (" + which + ")");
    const auto header = parse_gpt_header(sector.data(), sector.size());
    if (!header) throw Error(ErrorKind::failed, "libparted left no valid " + std::string(which) + " on " + target.path);
    return *header;
}

std::vector<std::uint8_t> build_entries(const Layout& layout, const GptHeader& h) {
    std::vector<std::uint8_t> entries(std::size_t{h.entry_count} * h.entry_size, 0);
    for (const auto& part : layout.partitions) {
        if (part.number > h.entry_count)
            throw Error(ErrorKind::failed, "partition " + std::to_string(part.number) + " needs more GPT entries than " +
                                               std::to_string(h.entry_count));
        std::uint8_t* entry = entries.data() + std::size_t{part.number - 1} * h.entry_size;
        const auto type = guid_bytes(part.type);
        const auto uuid = guid_bytes(part.uuid.value());
        std::copy(type.begin(), type.end(), entry);
        std::copy(uuid.begin(), uuid.end(), entry + 16);
        store_le(entry + 32, part.start);
        store_le(entry + 40, part.end() - 1);
        store_le(entry + 48, part.attrs);
        const auto name = utf16_units(part.name.value_or(""));
        for (std::size_t i = 0; i < name.size() && i < 36; ++i) store_le(entry + 56 + 2 * i, name[i]);
    }
    return entries;
}

void write_gpt_copy(int fd, GptHeader header, const Layout& layout, const std::vector<std::uint8_t>& entries,
                    const TargetInfo& target, const char* which) {
    const std::array<std::uint8_t, 16> disk_guid = guid_bytes(layout.id);
    header.disk_guid = disk_guid;
    if (layout.first_lba) header.first_usable_lba = *layout.first_lba;
    if (layout.last_lba) header.last_usable_lba = *layout.last_lba;
    header.entries_crc32 = crc32_of(entries.data(), entries.size());
    const unsigned ss = target.logical_sector_size;
    write_exact(fd, entries.data(), entries.size(), header.entries_lba * ss, target.path + " (" + which + " entries)");
    const auto sector = encode_gpt_header(header, ss);
    write_exact(fd, sector.data(), sector.size(), header.my_lba * ss, target.path + " (" + which + ")");
}

void write_gpt(int fd, const Layout& layout, const TargetInfo& target) {
    const unsigned ss = target.logical_sector_size;
    const GptHeader primary = read_header(fd, 1, target, "primary GPT header");
    const GptHeader backup = read_header(fd, primary.alternate_lba, target, "backup GPT header");
    std::vector<std::uint8_t> old_entries(std::size_t{primary.entry_count} * primary.entry_size);
    read_exact(fd, old_entries.data(), old_entries.size(), primary.entries_lba * ss, target.path + " (GPT entries)");
    std::set<Range> written;
    for (std::size_t i = 0; i < primary.entry_count; ++i) {
        const std::uint8_t* entry = old_entries.data() + i * primary.entry_size;
        const bool used = std::any_of(entry, entry + 16, [](std::uint8_t b) { return b != 0; });
        if (used) {
            const auto first = load_le<std::uint64_t>(entry + 32);
            written.insert({first, load_le<std::uint64_t>(entry + 40) - first + 1});
        }
    }
    require_same_ranges(written, layout, target);
    const auto entries = build_entries(layout, primary);
    write_gpt_copy(fd, backup, layout, entries, target, "backup GPT header");
    write_gpt_copy(fd, primary, layout, entries, target, "primary GPT header");
}

}  // namespace

void write_table_identity(int fd, const Layout& layout, const TargetInfo& target) {
    if (layout.label == TableKind::dos) write_dos(fd, layout, target);
    else write_gpt(fd, layout, target);
    if (::fsync(fd) != 0) throw_errno("cannot flush " + target.path);
}

void write_boot_code(int fd, const std::vector<std::uint8_t>& boot_code, const TargetInfo& target) {
    if (boot_code.size() != mbr_boot_code_size) throw Error(ErrorKind::failed, "MBR boot code must be 440 bytes");
    write_exact(fd, boot_code.data(), boot_code.size(), 0, target.path + " (MBR boot code)");
    if (::fsync(fd) != 0) throw_errno("cannot flush " + target.path);
}

}  // namespace dagda::disk
