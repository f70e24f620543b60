#pragma once
/// `--fit`: adapt a layout captured from a disk of another size to the target's size.

#include "disk/Layout.hpp"
#include "disk/LayoutCheck.hpp"

#include <optional>

namespace dagda::disk {

/// The layout moved onto `target`: partitions before the grown one keep their place; the grown
/// partition (`grow`, or by default the last data partition) takes the difference in size, rounded
/// to whole MiB so every start keeps its 1 MiB alignment; partitions after it move by that amount,
/// and the extended partition holding a grown logical one grows with it.
/// The difference is that of the disks' usable space: the source's ends at its gpt lastlba, or at
/// `source_sectors` (the source disk's size) on dos, so free space after the last partition stays
/// free and a target of the source's size gets the layout unchanged. When the source's size is not
/// known (a dos layout from a file), the partitions' end stands for it. A smaller target shrinks
/// the grown partition only as far as the partitions must move to fit.
/// gpt: lastlba becomes the target's default. Throws Error{refused} when the layout cannot fit,
/// Error{failed} when `grow` names no partition or there is no data partition to grow.
Layout fit_layout(Layout layout, const TargetGeometry& target, std::optional<unsigned> grow,
                  std::optional<std::uint64_t> source_sectors = std::nullopt);

}  // namespace dagda::disk
