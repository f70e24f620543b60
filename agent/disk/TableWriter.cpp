#include "disk/TableWriter.hpp"

#include "core/Crc32.hpp"
#include "core/Error.hpp"
#include "core/UniqueFd.hpp"
#include "disk/OnDiskTable.hpp"
#include "disk/PartitionTypes.hpp"
#include "disk/Plan.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <utility>

namespace dagda::disk {

namespace {

using Range = std::pair<std::uint64_t, std::uint64_t>;  // first sector, sector count

std::set<Range> ranges_of(const std::vector<PartitionSpec>& parts) {
    std::set<Range> ranges;
    for (const auto& part : parts) ranges.insert({part.start, part.size});
    return ranges;
}

void require_same_ranges(const std::set<Range>& written, const std::vector<PartitionSpec>& planned, const TargetInfo& target) {
    if (written != ranges_of(planned))
        throw Error(ErrorKind::failed, "libparted did not place the partitions the layout asks for on " + target.path +
                                           "; the table there is incomplete");
}

// One 16-byte MBR/EBR entry. CHS is always absolute; the LBA start is relative to `base` (0 in the
// MBR, the EBR itself for a logical partition, the extended partition's start for a chain link).
void fill_dos_entry(std::uint8_t* entry, std::uint64_t start, std::uint64_t size, std::uint8_t type, bool bootable,
                    std::uint64_t base, const TargetInfo& target) {
    entry[0] = bootable ? 0x80 : 0x00;
    const auto first = chs_bytes(start, target.sectors());
    const auto last = chs_bytes(start + size - 1, target.sectors());
    std::copy(first.begin(), first.end(), entry + 1);
    entry[4] = type;
    std::copy(last.begin(), last.end(), entry + 5);
    store_le(entry + 8, static_cast<std::uint32_t>(start - base));
    store_le(entry + 12, static_cast<std::uint32_t>(size));
}

std::uint8_t type_byte(const PartitionSpec& part) { return static_cast<std::uint8_t>(std::stoul(part.type, nullptr, 16)); }

struct Sector {
    std::uint64_t lba;
    std::vector<std::uint8_t> bytes;
};

// libparted wrote one extended boot record per logical partition, linked from the extended
// partition's first sector. Reads and checks the whole chain, and returns each record with the
// logical's type, flag and CHS and the link's CHS set: nothing is written until all is checked.
std::vector<Sector> patched_ebr_chain(int fd, const PartitionSpec& extended, const std::vector<PartitionSpec>& logicals,
                                      const TargetInfo& target) {
    const unsigned ss = target.logical_sector_size;
    std::vector<Sector> chain;
    std::uint64_t ebr = extended.start;
    for (std::size_t i = 0; i < logicals.size(); ++i) {
        const std::string what = target.path + " (extended boot record at sector " + std::to_string(ebr) + ")";
        std::vector<std::uint8_t> sector(ss);
        read_exact(fd, sector.data(), sector.size(), ebr * ss, what);
        std::uint8_t* own = sector.data() + mbr_entry_offset;
        std::uint8_t* link = own + mbr_entry_size;
        const Range found{ebr + load_le<std::uint32_t>(own + 8), load_le<std::uint32_t>(own + 12)};
        const bool last = i + 1 == logicals.size();
        if (sector[510] != 0x55 || sector[511] != 0xAA || found != Range{logicals[i].start, logicals[i].size} ||
            (link[4] == 0) != last)
            throw Error(ErrorKind::failed, "libparted did not chain logical partition " + std::to_string(logicals[i].number) +
                                               " as planned at " + what);
        fill_dos_entry(own, logicals[i].start, logicals[i].size, type_byte(logicals[i]), logicals[i].bootable, ebr, target);
        const std::uint64_t next = extended.start + load_le<std::uint32_t>(link + 8);
        if (!last) fill_dos_entry(link, next, load_le<std::uint32_t>(link + 12), link[4], false, extended.start, target);
        chain.push_back({ebr, std::move(sector)});
        ebr = next;
    }
    return chain;
}

void write_dos(int fd, const Layout& layout, const TargetInfo& target) {
    std::vector<PartitionSpec> primaries;
    std::vector<PartitionSpec> logicals;
    for (const auto& part : layout.partitions) (part.number < first_logical_number ? primaries : logicals).push_back(part);
    std::sort(logicals.begin(), logicals.end(), [](const auto& a, const auto& b) { return a.start < b.start; });

    std::vector<std::uint8_t> mbr(target.logical_sector_size);
    read_exact(fd, mbr.data(), mbr.size(), 0, target.path + " (MBR)");
    std::set<Range> written;
    for (std::size_t slot = 0; slot < 4; ++slot) {
        const std::uint8_t* entry = mbr.data() + mbr_entry_offset + slot * mbr_entry_size;
        if (entry[4] != 0) written.insert({load_le<std::uint32_t>(entry + 8), load_le<std::uint32_t>(entry + 12)});
    }
    require_same_ranges(written, primaries, target);
    std::vector<Sector> chain;
    for (const auto& part : primaries)
        if (is_extended(layout.label, part.type)) chain = patched_ebr_chain(fd, part, logicals, target);
    if (chain.size() != logicals.size())
        throw Error(ErrorKind::failed, "libparted did not chain the logical partitions as planned on " + target.path);
    std::memset(mbr.data() + mbr_entry_offset, 0, 4 * mbr_entry_size);
    for (const auto& part : primaries)
        fill_dos_entry(mbr.data() + mbr_entry_offset + (part.number - 1) * mbr_entry_size, part.start, part.size,
                       type_byte(part), part.bootable, 0, target);
    store_le(mbr.data() + mbr_signature_offset, static_cast<std::uint32_t>(std::stoul(layout.id, nullptr, 16)));
    mbr[mbr_reserved_offset] = mbr[mbr_reserved_offset + 1] = 0;
    mbr[510] = 0x55;
    mbr[511] = 0xAA;
    write_exact(fd, mbr.data(), mbr.size(), 0, target.path + " (MBR)");
    for (const auto& record : chain)
        write_exact(fd, record.bytes.data(), record.bytes.size(), record.lba * target.logical_sector_size,
                    target.path + " (extended boot record at sector " + std::to_string(record.lba) + ")");
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
    header.entries_crc32 = crc32(entries.data(), entries.size());
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
    require_same_ranges(written, layout.partitions, target);
    const auto entries = build_entries(layout, primary);
    write_gpt_copy(fd, backup, layout, entries, target, "backup GPT header");
    write_gpt_copy(fd, primary, layout, entries, target, "primary GPT header");
}

}  // namespace

void write_first_track(int fd, const Layout& layout, const std::vector<std::uint8_t>& track, const TargetInfo& target) {
    if (track.size() < mbr_reserved_offset + 2) throw Error(ErrorKind::failed, "the source's first track does not hold sector 0");
    write_exact(fd, track.data() + mbr_reserved_offset, 2, mbr_reserved_offset, target.path + " (MBR bytes 444-445)");
    const auto [gap_start, gap_end] = first_track_gap(layout, track.size());
    if (gap_end > gap_start)
        write_exact(fd, track.data() + gap_start, gap_end - gap_start, gap_start, target.path + " (first track)");
    if (::fsync(fd) != 0) throw_errno("cannot flush " + target.path);
}

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
