#pragma once
/// Restores one volume from a generation and its chain onto a byte range of a file or device:
/// each used block is read from the newest generation that holds it (tib-format.md §6), every
/// chunk's digest is checked before its data is written, and only used blocks are written.

#include "image/TibArchive.hpp"
#include "image/capture/VolumeCapture.hpp"

#include <cstdint>
#include <vector>

namespace dagda::image {

/// Restores volume `number` of chain.front() onto `target`, using `threads` threads. Throws
/// Error{failed} on a damaged chunk, a broken chain or a write error (the restore is then not
/// complete, whatever was written), Error{refused} when the target is smaller than the volume.
/// Syncs the target before returning.
void restore_volume(const Chain& chain, std::uint32_t number, const VolumeRange& target, unsigned threads,
                    const ByteProgress& progress);

/// Reads back the used blocks of volume `number` from `target` after a restore and compares each
/// window's digest with the one the archive records; throws Error{failed} naming the first window
/// that differs.
void verify_restored(const Chain& chain, std::uint32_t number, const VolumeRange& target, const ByteProgress& progress);

/// Reads and checks every chunk a restore of volume `number` would use, writing nothing.
/// Returns the number of chunks checked.
std::uint64_t verify_volume(const Chain& chain, std::uint32_t number, const ByteProgress& progress);

}  // namespace dagda::image
