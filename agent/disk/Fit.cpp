#include "disk/Fit.hpp"

#include "core/Error.hpp"
#include "disk/OnDiskTable.hpp"
#include "disk/PartitionTypes.hpp"

#include <algorithm>

namespace dagda::disk {

namespace {

const PartitionSpec& pick_grow(const Layout& layout, std::optional<unsigned> grow) {
    if (grow) {
        for (const auto& part : layout.partitions)
            if (part.number == *grow) return part;
        throw Error(ErrorKind::failed, "--grow " + std::to_string(*grow) + ": the layout has no partition " +
                                           std::to_string(*grow));
    }
    const PartitionSpec* chosen = nullptr;
    for (const auto& part : layout.partitions) {
        const auto info = describe_type(layout.label, part.type);
        if (info && info->role == TypeRole::data && (!chosen || part.start > chosen->start)) chosen = &part;
    }
    if (!chosen) throw Error(ErrorKind::failed, "--fit: the layout has no data partition to grow; name one with --grow N");
    return *chosen;
}

// Rounds toward minus infinity, so a shrinking disk never leaves a partition past the end.
std::int64_t floor_to_multiple(std::int64_t value, std::int64_t step) {
    const std::int64_t q = value / step;
    return (value % step != 0 && value < 0 ? q - 1 : q) * step;
}

}  // namespace

Layout fit_layout(Layout layout, const TargetGeometry& target, std::optional<unsigned> grow,
                  std::optional<std::uint64_t> source_sectors) {
    std::uint64_t old_end = 0;
    for (const auto& part : layout.partitions) old_end = std::max(old_end, part.end());
    // Where the source's usable space ended: its gpt lastlba, its size on dos.
    std::uint64_t source_end = old_end;
    if (layout.label == TableKind::gpt && layout.last_lba) source_end = *layout.last_lba + 1;
    else if (layout.label == TableKind::gpt && source_sectors)
        source_end = default_gpt_last_lba(*source_sectors, target.sector_size) + 1;
    else if (layout.label == TableKind::dos && source_sectors) source_end = *source_sectors;
    source_end = std::max(source_end, old_end);
    if (layout.label == TableKind::gpt) layout.last_lba = default_gpt_last_lba(target.sectors, target.sector_size);
    if (layout.partitions.empty()) return layout;
    const PartitionSpec grown = pick_grow(layout, grow);
    const auto new_end = static_cast<std::int64_t>(usable_range(layout, target).second + 1);
    const auto align = static_cast<std::int64_t>((1024 * 1024) / target.sector_size);
    // A larger disk grows the partition by its extra space; a smaller one shrinks it only when the
    // partitions no longer fit as they are.
    const std::int64_t growth = new_end - static_cast<std::int64_t>(source_end);
    const std::int64_t room = new_end - static_cast<std::int64_t>(old_end);
    const std::int64_t delta = floor_to_multiple(growth >= 0 ? growth : std::min<std::int64_t>(0, room), align);
    if (delta < 0 && static_cast<std::uint64_t>(-delta) >= grown.size)
        throw Error(ErrorKind::refused, "--fit: the target is " + std::to_string(-delta) +
                                            " sectors too small even if partition " + std::to_string(grown.number) +
                                            " (" + std::to_string(grown.size) + " sectors) shrank to nothing");
    const auto moved = [delta](std::uint64_t value) { return static_cast<std::uint64_t>(static_cast<std::int64_t>(value) + delta); };
    for (auto& part : layout.partitions) {
        const bool holds_grown = is_extended(layout.label, part.type) && part.start < grown.start && grown.end() <= part.end();
        if (part.number == grown.number || holds_grown) part.size = moved(part.size);
        else if (part.start > grown.start) part.start = moved(part.start);
    }
    return layout;
}

}  // namespace dagda::disk
