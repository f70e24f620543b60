#pragma once
/// Whether a layout can be written to a target, with every problem named at once.

#include "core/Error.hpp"
#include "disk/Layout.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dagda::disk {

/// The size facts of a target that a layout must respect.
struct TargetGeometry {
    std::uint64_t sectors = 0;      ///< logical sectors on the target
    unsigned sector_size = 512;     ///< logical sector size in bytes
};

struct LayoutProblem {
    ErrorKind kind;        ///< refused: the target cannot take it (too small, other sector size); failed: the layout is wrong
    std::string message;   ///< names the partition and what is wrong with it
};

/// Every problem of `layout` on `target` (overlaps, beyond the end, bad numbers, limits of the
/// table kind, duplicate GUIDs, more than one bootable partition); empty when it can be written.
std::vector<LayoutProblem> check_layout(const Layout& layout, const TargetGeometry& target);

/// Throws one Error listing every problem (kind refused if any problem is a refusal).
void require_valid_layout(const Layout& layout, const TargetGeometry& target);

/// First and last usable sector for the layout's partitions on `target` (gpt: from the header
/// fields or their defaults; dos: sector 1 to the last sector).
std::pair<std::uint64_t, std::uint64_t> usable_range(const Layout& layout, const TargetGeometry& target);

}  // namespace dagda::disk
