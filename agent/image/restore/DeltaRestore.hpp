#pragma once
/// A delta restore: generation M written onto a volume that holds an older generation N of the
/// same chain, writing only the blocks that differ (tib-format.md §6.1). It is planned as data
/// (which windows, which blocks), the plan is proven against the target (every window it writes
/// must hold N's content, or M's already), and only then written.

#include "image/TibArchive.hpp"
#include "image/restore/VolumeRestore.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dagda::image {

/// What a delta restore of one volume writes.
struct VolumeDelta {
    std::uint32_t number = 0;
    std::vector<WindowWrite> writes;     ///< ascending windows, each with the blocks to write
    std::uint64_t windows_in_use = 0;    ///< windows with a used block in the newest generation
    std::uint64_t blocks = 0;            ///< blocks to write
    std::uint64_t bytes = 0;             ///< their bytes
    std::uint64_t already_written = 0;   ///< windows the target holds as the newest generation already
};

/// Plans the delta of volume `number` from chain[base] (the generation the target holds; chain is
/// newest first, base ≥ 1) to chain.front(). A window whose digest is the same in both is left
/// alone; in another, a used block is written when a generation newer than the base holds it, or
/// when the base did not use it. Reads only the indexes.
VolumeDelta plan_volume_delta(const Chain& chain, std::uint32_t number, std::size_t base);

/// Proves the plan against `target`, writing nothing: reads each window the plan writes and
/// compares it with the base's window digest (then it stays in the plan) and the newest's (then
/// it is already written and leaves the plan). Throws Error{refused} naming the first window that
/// holds neither: the target is not a copy of the base generation there. Reads on `threads` threads.
void check_delta_target(const Chain& chain, std::size_t base, VolumeDelta& delta, const VolumeRange& target, unsigned threads,
                        const ByteProgress& progress);

/// "volume 2: 37 of 1024 windows, 812 blocks (3.2 MiB) to write", for the printed plan.
std::string delta_line(const VolumeDelta& delta);

}  // namespace dagda::image
