#pragma once
/// Restores one volume from a generation and its chain onto a byte range of a file or device:
/// each used block is read from the newest generation that holds it (tib-format.md §6), every
/// chunk's digest is checked before its data is written, and only used blocks are written.

#include "image/TibArchive.hpp"
#include "image/capture/VolumeCapture.hpp"

#include <cstdint>
#include <functional>
#include <vector>

namespace dagda::image {

/// Where an interrupted restore of one volume may start again.
struct RestoreCheckpoint {
    std::uint64_t start_window = 0;  ///< windows below this are known written and flushed
    std::uint64_t every_windows = 64;  ///< how often (in windows finished) to flush and record
    /// Called after the target was flushed: every window below `next_window` is on it.
    std::function<void(std::uint64_t next_window)> record;
};

/// Some blocks of one window of a volume: what a delta restore writes there (a mask of §1).
struct WindowWrite {
    std::uint64_t window = 0;
    std::vector<std::uint8_t> blocks;
};

/// Restores volume `number` of chain.front() onto `target`, using `threads` threads. Throws
/// Error{failed} on a damaged chunk, a broken chain or a write error (the restore is then not
/// complete, whatever was written), Error{refused} when the target is smaller than the volume.
/// Syncs the target before returning.
void restore_volume(const Chain& chain, std::uint32_t number, const VolumeRange& target, unsigned threads,
                    const ByteProgress& progress, const RestoreCheckpoint* checkpoint = nullptr);

/// As restore_volume, but only the blocks `writes` names (each used in chain.front(); windows in
/// ascending order): a delta restore onto a target that holds the rest already. The checkpoint's
/// start_window skips the writes below it.
void restore_windows(const Chain& chain, std::uint32_t number, const std::vector<WindowWrite>& writes, const VolumeRange& target,
                     unsigned threads, const ByteProgress& progress, const RestoreCheckpoint* checkpoint = nullptr);

/// The window digest (tib-format.md §6) of window `window` of volume `v` as `target` holds it: over
/// the blocks of `used_mask`, in the definition `required_features` selects. `buffer` is reused.
format::Digest target_window_digest(const format::VolumeInfo& v, std::uint64_t window, const std::vector<std::uint8_t>& used_mask,
                                    std::uint64_t required_features, const VolumeRange& target, ByteBuffer& buffer);

/// Reads back the used blocks of volume `number` from `target` after a restore and compares each
/// window's digest with the one the archive records; throws Error{failed} naming the first window
/// that differs.
void verify_restored(const Chain& chain, std::uint32_t number, const VolumeRange& target, const ByteProgress& progress);

/// Reads and checks every chunk a restore of volume `number` would use, writing nothing.
/// Returns the number of chunks checked.
std::uint64_t verify_volume(const Chain& chain, std::uint32_t number, const ByteProgress& progress);

}  // namespace dagda::image
