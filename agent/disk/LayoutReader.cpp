#include "disk/LayoutReader.hpp"

#include "core/Crc32.hpp"
#include "core/Error.hpp"
#include "core/UniqueFd.hpp"
#include "disk/OnDiskTable.hpp"
#include "disk/PartitionTypes.hpp"
#include "disk/sys/BlkidProbe.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cstdio>

namespace dagda::disk {

namespace {

PartitionSpec to_spec(const sys::BlkidPartition& part, TableKind label, unsigned sector_size) {
    PartitionSpec spec;
    spec.number = static_cast<unsigned>(part.number);
    // libblkid always counts in 512-byte units, whatever the disk's sector size.
    spec.start = part.start_512 * 512 / sector_size;
    spec.size = part.size_512 * 512 / sector_size;
    if (label == TableKind::dos) {
        char code[12];
        std::snprintf(code, sizeof code, "%x", static_cast<unsigned>(part.type));
        spec.type = code;
        spec.bootable = (part.flags & 0x80) != 0;
    } else {
        spec.type = normalize_guid(part.type_string).value_or(part.type_string);
        spec.uuid = normalize_guid(part.uuid);
        if (!part.name.empty()) spec.name = part.name;
        spec.attrs = part.flags;
    }
    return spec;
}

// The header libblkid and sfdisk trust: valid CRCs (header and entries), at the LBA it claims, with
// its usable range inside the disk.
std::optional<GptHeader> trusted_gpt_header(int fd, std::uint64_t lba, const TargetInfo& target) {
    const unsigned ss = target.logical_sector_size;
    std::vector<std::uint8_t> sector(ss);
    read_exact(fd, sector.data(), sector.size(), lba * ss, target.path + " (GPT header)");
    const auto header = parse_gpt_header(sector.data(), sector.size());
    if (!header || header->my_lba != lba || header->last_usable_lba >= target.sectors() ||
        header->first_usable_lba > header->last_usable_lba || header->entry_size > 4096 ||
        header->entries_lba + gpt_entry_sectors(header->entry_count, header->entry_size, ss) > target.sectors())
        return std::nullopt;
    std::vector<std::uint8_t> entries(std::size_t{header->entry_count} * header->entry_size);
    read_exact(fd, entries.data(), entries.size(), header->entries_lba * ss, target.path + " (GPT entries)");
    if (crc32(entries.data(), entries.size()) != header->entries_crc32) return std::nullopt;
    return header;
}

void read_gpt_header_fields(Layout& layout, int fd, const TargetInfo& target) {
    // A damaged primary header is replaced by the backup in the last sector, as libblkid does.
    auto header = trusted_gpt_header(fd, 1, target);
    if (!header && target.sectors() > 2) header = trusted_gpt_header(fd, target.sectors() - 1, target);
    if (!header) return;
    layout.first_lba = header->first_usable_lba;
    layout.last_lba = header->last_usable_lba;
}

}  // namespace

std::optional<Layout> read_layout(const TargetInfo& target) {
    const UniqueFd fd = UniqueFd::open(target.path, O_RDONLY);
    sys::BlkidProbe probe(fd.get(), 0, 0, target.path);
    const auto table = probe.partition_table();
    if (!table) return std::nullopt;
    Layout layout;
    if (table->type == "dos") layout.label = TableKind::dos;
    else if (table->type == "gpt") layout.label = TableKind::gpt;
    else throw Error(ErrorKind::failed, target.path + ": partition table type '" + table->type + "' is not supported (dos or gpt)");
    layout.device = target.path;
    layout.sector_size = target.logical_sector_size;
    layout.id = layout.label == TableKind::dos ? "0x" + table->id : normalize_guid(table->id).value_or(table->id);
    for (const auto& part : table->partitions) {
        layout.partitions.push_back(to_spec(part, layout.label, target.logical_sector_size));
    }
    std::sort(layout.partitions.begin(), layout.partitions.end(),
              [](const PartitionSpec& a, const PartitionSpec& b) { return a.number < b.number; });
    if (layout.label == TableKind::gpt) read_gpt_header_fields(layout, fd.get(), target);
    std::vector<std::uint8_t> code(mbr_boot_code_size);
    read_exact(fd.get(), code.data(), code.size(), 0, target.path + " (MBR boot code)");
    layout.boot_code = std::move(code);
    return layout;
}

}  // namespace dagda::disk
