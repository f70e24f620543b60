#include "disk/LayoutCheck.hpp"

#include "disk/OnDiskTable.hpp"
#include "disk/PartitionTypes.hpp"

#include <algorithm>
#include <set>

namespace dagda::disk {

namespace {

std::string part_name(const PartitionSpec& part) { return "partition " + std::to_string(part.number); }

void check_gpt_header_fields(const Layout& layout, const TargetGeometry& target, std::vector<LayoutProblem>& out) {
    const std::uint64_t min_first = default_gpt_first_lba(target.sector_size);
    const std::uint64_t max_last = default_gpt_last_lba(target.sectors, target.sector_size);
    if (layout.first_lba && *layout.first_lba < min_first)
        out.push_back({ErrorKind::failed, "firstlba " + std::to_string(*layout.first_lba) +
                                              " lies inside the GPT entry array (first usable sector is at least " +
                                              std::to_string(min_first) + ")"});
    if (layout.last_lba && *layout.last_lba > max_last)
        out.push_back({ErrorKind::refused, "lastlba " + std::to_string(*layout.last_lba) + " is beyond the end of the target (" +
                                               std::to_string(target.sectors) + " sectors; last usable " +
                                               std::to_string(max_last) + "); use --fit to adapt the layout"});
    const auto [first, last] = usable_range(layout, target);
    if (first > last)
        out.push_back({ErrorKind::failed, "firstlba " + std::to_string(first) + " is after lastlba " + std::to_string(last)});
    for (const auto& part : layout.partitions) {
        if (part.name && utf16_units(*part.name).size() > 36)
            out.push_back({ErrorKind::failed, part_name(part) + ": name is longer than 36 UTF-16 characters"});
        if (part.name && part.name->find('\0') != std::string::npos)
            out.push_back({ErrorKind::failed, part_name(part) + ": name contains a NUL character, which ends a GPT name"});
    }
    std::set<std::string> guids{layout.id};
    for (const auto& part : layout.partitions) {
        if (part.uuid && !guids.insert(*part.uuid).second)
            out.push_back({ErrorKind::failed, part_name(part) + ": GUID " + *part.uuid + " is used twice"});
    }
}

void check_each_partition(const Layout& layout, const TargetGeometry& target, std::vector<LayoutProblem>& out) {
    const unsigned max_number = layout.label == TableKind::dos ? max_logical_number : 128;
    const auto [first, last] = usable_range(layout, target);
    std::set<unsigned> numbers;
    for (const auto& part : layout.partitions) {
        if (part.number < 1 || part.number > max_number)
            out.push_back({ErrorKind::failed, part_name(part) + ": a " + to_string(layout.label) + " table has slots 1 to " +
                                                  std::to_string(max_number) +
                                                  (layout.label == TableKind::dos ? " (5 and up are logical)" : "")});
        if (!numbers.insert(part.number).second) out.push_back({ErrorKind::failed, part_name(part) + " is listed twice"});
        if (part.size == 0) out.push_back({ErrorKind::failed, part_name(part) + ": size is 0"});
        if (part.start < first)
            out.push_back({ErrorKind::failed, part_name(part) + ": starts at sector " + std::to_string(part.start) +
                                                  ", before the first usable sector " + std::to_string(first)});
        if (part.size > 0 && part.end() - 1 > last)
            out.push_back({ErrorKind::refused, part_name(part) + ": ends at sector " + std::to_string(part.end() - 1) +
                                                   ", beyond the end of the target (last usable sector " +
                                                   std::to_string(last) + ")"});
        if (layout.label == TableKind::dos && (part.start > 0xFFFFFFFFull || part.size > 0xFFFFFFFFull))
            out.push_back({ErrorKind::failed, part_name(part) + ": start and size must fit in 32 bits in a dos table"});
    }
}

// Partitions at one level (the MBR's own entries, or the logicals inside the extended one) must
// not overlap; a logical partition lies inside the extended one by design.
void check_overlaps(std::vector<PartitionSpec> by_start, std::vector<LayoutProblem>& out) {
    std::sort(by_start.begin(), by_start.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
    for (std::size_t i = 1; i < by_start.size(); ++i) {
        if (by_start[i - 1].end() > by_start[i].start)
            out.push_back({ErrorKind::failed, part_name(by_start[i - 1]) + " (sectors " + std::to_string(by_start[i - 1].start) +
                                                  "-" + std::to_string(by_start[i - 1].end() - 1) + ") overlaps " +
                                                  part_name(by_start[i]) + " (starts at " +
                                                  std::to_string(by_start[i].start) + ")"});
    }
}

void check_logicals(const Layout& layout, const std::vector<PartitionSpec>& logicals, std::vector<LayoutProblem>& out) {
    std::vector<const PartitionSpec*> extended;
    for (const auto& part : layout.partitions)
        if (is_extended(layout.label, part.type)) extended.push_back(&part);
    if (extended.size() > 1) out.push_back({ErrorKind::failed, "more than one extended partition"});
    for (const auto* ext : extended) {
        if (ext->number >= first_logical_number)
            out.push_back({ErrorKind::failed, part_name(*ext) + ": an extended partition must be in slots 1 to 4"});
        if (ext->bootable) out.push_back({ErrorKind::failed, part_name(*ext) + ": an extended partition cannot be bootable"});
    }
    if (logicals.empty()) return;
    if (extended.empty()) {
        out.push_back({ErrorKind::failed, "logical partitions (5 and up) need an extended partition to hold them"});
        return;
    }
    const PartitionSpec& ext = *extended.front();
    for (std::size_t i = 0; i < logicals.size(); ++i) {
        const PartitionSpec& part = logicals[i];
        if (part.number != first_logical_number + i)
            out.push_back({ErrorKind::failed, part_name(part) + ": logical partitions are numbered from 5 in disk order; this one is number " +
                                                  std::to_string(first_logical_number + i)});
        // Each logical partition is preceded by its extended boot record (EBR) inside the container.
        const std::uint64_t ebr_floor = i == 0 ? ext.start : logicals[i - 1].end();
        if (part.start <= ebr_floor || part.end() > ext.end())
            out.push_back({ErrorKind::failed, part_name(part) + " (sectors " + std::to_string(part.start) + "-" +
                                                  std::to_string(part.end() - 1) + ") must lie inside extended " +
                                                  part_name(ext) + " after a free sector for its boot record"});
    }
}

}  // namespace

std::pair<std::uint64_t, std::uint64_t> usable_range(const Layout& layout, const TargetGeometry& target) {
    if (layout.label == TableKind::dos) return {1, target.sectors == 0 ? 0 : target.sectors - 1};
    const std::uint64_t first = layout.first_lba.value_or(default_gpt_first_lba(target.sector_size));
    const std::uint64_t last = layout.last_lba.value_or(default_gpt_last_lba(target.sectors, target.sector_size));
    return {first, last};
}

std::vector<LayoutProblem> check_layout(const Layout& layout, const TargetGeometry& target) {
    std::vector<LayoutProblem> out;
    if (layout.sector_size != target.sector_size) {
        out.push_back({ErrorKind::refused, "the layout uses " + std::to_string(layout.sector_size) +
                                               "-byte sectors but the target has " + std::to_string(target.sector_size) +
                                               "-byte sectors"});
        return out;  // every sector number below would be measured in the wrong unit
    }
    const std::uint64_t minimum = layout.label == TableKind::gpt ? 2 * default_gpt_first_lba(target.sector_size) : 2;
    if (target.sectors < minimum) {
        out.push_back({ErrorKind::refused, "the target has only " + std::to_string(target.sectors) + " sectors"});
        return out;
    }
    if (layout.label == TableKind::gpt) check_gpt_header_fields(layout, target, out);
    check_each_partition(layout, target, out);
    std::vector<PartitionSpec> top_level;
    std::vector<PartitionSpec> logicals;
    for (const auto& part : layout.partitions)
        (layout.label == TableKind::dos && part.number >= first_logical_number ? logicals : top_level).push_back(part);
    check_overlaps(top_level, out);
    check_overlaps(logicals, out);
    std::sort(logicals.begin(), logicals.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
    if (layout.label == TableKind::dos) check_logicals(layout, logicals, out);
    if (layout.label == TableKind::dos &&
        std::count_if(layout.partitions.begin(), layout.partitions.end(), [](const auto& p) { return p.bootable; }) > 1)
        out.push_back({ErrorKind::failed, "more than one partition is bootable; MBR boot code starts exactly one"});
    return out;
}

void require_valid_layout(const Layout& layout, const TargetGeometry& target) {
    const auto problems = check_layout(layout, target);
    if (problems.empty()) return;
    ErrorKind kind = ErrorKind::failed;
    std::string message = "the layout cannot be written (nothing was written):";
    for (const auto& problem : problems) {
        if (problem.kind == ErrorKind::refused) kind = ErrorKind::refused;
        message += "\n  - " + problem.message;
    }
    throw Error(kind, message);
}

}  // namespace dagda::disk
