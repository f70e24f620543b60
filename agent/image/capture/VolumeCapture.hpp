#pragma once
/// Captures one volume into an archive being written: reads it window by window, keeps the used
/// blocks, compresses and hashes each window's chunk on every core, and returns the index.

#include "image/TibArchive.hpp"
#include "image/TibWriter.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dagda::image {

/// A byte range of an open file or block device (a whole volume, or a partition of a disk).
struct VolumeRange {
    int fd = -1;
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
    std::string name;  ///< for messages: "/dev/sdb2", "disk.raw partition 2"
};

struct CaptureOptions {
    int level = 3;                        ///< zstd level; 0 stores chunks uncompressed
    std::uint64_t window_size = format::default_window_size;  ///< bytes per window (tib-format.md §1)
    unsigned threads = 2;
};

struct VolumeSpec {
    std::uint32_t number = 0;
    std::string filesystem;               ///< "ntfs", "ext4", "" when unknown
    std::uint64_t first_sector = 0;
    std::uint32_t block_size = 4096;
    /// Blocks in use, when the filesystem says (NTFS $Bitmap); otherwise every block that is not
    /// all zero counts as used.
    std::optional<std::vector<std::uint8_t>> used_bitmap;
    /// For an incremental generation: the chain it is based on (newest first). Only the blocks
    /// whose content differs from what that chain restores are stored (tib-format.md §6).
    const Chain* base = nullptr;
};

/// Called after each window with the bytes of the volume read so far.
using ByteProgress = std::function<void(std::uint64_t done, std::uint64_t total)>;

/// Captures `range` as volume `spec.number` into `writer`; throws Error on read or write errors.
VolumeIndex capture_volume(TibWriter& writer, const VolumeRange& range, const VolumeSpec& spec,
                           const CaptureOptions& options, const ByteProgress& progress);

}  // namespace dagda::image
