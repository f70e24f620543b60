#pragma once
/// The TIB v1 codec: byte-exact encoding and checked decoding of every fixed structure of
/// docs/tib-format.md. Pure: no I/O, no logging. Decoders throw Error{failed} with `where` (the
/// archive and offset) and what is wrong; they check every field before a caller allocates.

#include "image/format/Sha256.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace dagda::image::format {

// tib-format.md §3
inline constexpr std::array<std::uint8_t, 8> file_magic{'D', 'A', 'G', 'D', 'A', 'T', 'I', 'B'};
inline constexpr std::uint16_t major_version = 1;
inline constexpr std::uint16_t minor_version = 1;
inline constexpr std::size_t file_header_size = 64;
// §4
inline constexpr std::uint64_t feature_zstd = 0x1;
inline constexpr std::uint64_t feature_incremental = 0x2;
/// Window digests share the chunk digest's definition (§6, version 1.1), so a capture that stores
/// every used block of a window hashes its data once instead of twice.
inline constexpr std::uint64_t feature_shared_digest = 0x4;
inline constexpr std::uint64_t known_required_features = 0x7;
// §5
inline constexpr std::size_t record_header_size = 24;
inline constexpr std::uint32_t record_flag_zstd = 0x1;
inline constexpr std::uint64_t max_metadata_size = 64ull << 20;
inline constexpr std::size_t chunk_fixed_size = 56;
// §5.4
inline constexpr std::uint32_t min_block_size = 512;
inline constexpr std::uint32_t max_block_size = 65536;
inline constexpr std::uint64_t min_window_size = 65536;
inline constexpr std::uint64_t max_window_size = 67108864;
/// The capture default. 4 MiB rather than 1 MiB: independently compressed windows lose about 0.4%
/// of the archive size at 1 MiB against one stream (the bench volume: 1330.4 vs 1325.2 MB at level 3);
/// 4 MiB windows and larger zstd match tables (Zstd.cpp) win it back (1321.9 MB), and capture is
/// faster with fewer windows. A restore holds a few windows per thread: about 35 MiB peak at 4 MiB.
inline constexpr std::uint64_t default_window_size = 4 << 20;
inline constexpr std::size_t volume_fixed_size = 64;
// §6
inline constexpr std::size_t index_section_header_size = 16;
inline constexpr std::size_t index_entry_fixed_size = 56;
// §7
inline constexpr std::size_t trailer_size = 64;
inline constexpr std::array<std::uint8_t, 4> trailer_magic{'T', 'E', 'N', 'D'};

/// Record types (§5): the four ASCII letters read as a little-endian 32-bit number.
enum class RecordType : std::uint32_t {
    generation = 0x524E4547,  // "GENR"
    layout = 0x5459414C,      // "LAYT"
    track = 0x4B415254,       // "TRAK"
    volume = 0x4D4C4F56,      // "VOLM"
    chunk = 0x4B4E4843,       // "CHNK"
    index = 0x58444E49,       // "INDX"
};

/// "GENR", "CHNK", … for messages.
std::string to_string(RecordType type);

using GenerationId = std::array<std::uint8_t, 16>;

struct FileHeader {
    std::uint16_t minor = minor_version;
    std::uint64_t required_features = 0;
    std::uint64_t optional_features = 0;
    GenerationId generation_id{};
};

std::array<std::uint8_t, file_header_size> encode_file_header(const FileHeader& header);
FileHeader decode_file_header(const std::uint8_t* bytes, const std::string& where);

struct RecordHeader {
    RecordType type = RecordType::generation;
    std::uint32_t flags = 0;
    std::uint64_t payload_size = 0;
    std::uint32_t payload_crc = 0;
};

std::array<std::uint8_t, record_header_size> encode_record_header(const RecordHeader& header);
/// Checks the header CRC, the type, the flags allowed for the type and the §5 size limits.
RecordHeader decode_record_header(const std::uint8_t* bytes, const std::string& where);

/// A volume (§5.4). Blocks past `volume_size` do not exist; the last block may be short.
struct VolumeInfo {
    std::uint32_t number = 0;
    std::uint32_t block_size = 4096;
    std::uint64_t volume_size = 0;
    std::uint64_t window_size = default_window_size;
    std::uint64_t used_blocks = 0;
    std::uint64_t first_sector = 0;
    std::string filesystem;              ///< at most 16 ASCII characters
    std::vector<std::uint8_t> bitmap;    ///< one bit per block, LSB first

    std::uint64_t block_count() const { return (volume_size + block_size - 1) / block_size; }
    std::uint64_t window_count() const { return (volume_size + window_size - 1) / window_size; }
    std::uint32_t blocks_per_window() const { return static_cast<std::uint32_t>(window_size / block_size); }
    std::uint32_t mask_size() const { return std::max<std::uint32_t>(1, blocks_per_window() / 8); }
    /// Bytes of block `block` (block_size, or less for the short last block).
    std::uint32_t block_length(std::uint64_t block) const;
    bool is_used(std::uint64_t block) const { return (bitmap[block / 8] >> (block % 8)) & 1; }
    /// The part of the bitmap that covers window `window`, as a mask (§1).
    std::vector<std::uint8_t> window_mask(std::uint64_t window) const;
    /// Whether window `window` has at least one used block.
    bool window_used(std::uint64_t window) const;
};

std::vector<std::uint8_t> encode_volume(const VolumeInfo& volume);
/// Checks every §5.4 rule, including the bitmap's size, its zero tail and the used block count.
VolumeInfo decode_volume(const std::vector<std::uint8_t>& payload, const std::string& where);

/// The fixed part and mask of a chunk payload (§5.5); the data follows it.
struct ChunkHeader {
    std::uint32_t volume = 0;
    std::uint8_t compression = 0;        ///< 0 none, 1 zstd
    std::uint8_t level = 0;
    std::uint64_t window = 0;
    std::uint32_t plain_length = 0;
    Digest digest{};
    std::vector<std::uint8_t> mask;      ///< present blocks

    std::size_t size() const { return chunk_fixed_size + mask.size(); }
};

std::vector<std::uint8_t> encode_chunk_header(const ChunkHeader& chunk);
/// Decodes the header from the first `available` bytes of a chunk payload; checks the mask size
/// against `volume`, compression, reserved bytes, and that `plain_length` is what the mask implies.
ChunkHeader decode_chunk_header(const std::uint8_t* bytes, std::size_t available, const VolumeInfo& volume,
                                const std::string& where);

/// Sum of the lengths of the blocks a mask selects in `window` of `volume`.
std::uint64_t masked_length(const VolumeInfo& volume, std::uint64_t window, const std::vector<std::uint8_t>& mask);

struct IndexSection {
    std::uint32_t volume = 0;
    std::uint32_t entry_size = 0;
    std::uint64_t count = 0;
};

std::array<std::uint8_t, index_section_header_size> encode_index_section(const IndexSection& section);
IndexSection decode_index_section(const std::uint8_t* bytes, const std::string& where);

struct IndexEntry {
    std::uint64_t window = 0;
    std::uint64_t chunk_offset = 0;      ///< 0: this generation stores no chunk for the window
    Digest window_digest{};
    std::vector<std::uint8_t> present;
};

std::vector<std::uint8_t> encode_index_entry(const IndexEntry& entry);
IndexEntry decode_index_entry(const std::uint8_t* bytes, std::size_t mask_size, const std::string& where);

struct Trailer {
    std::uint64_t index_offset = 0;
    std::uint64_t volumes_offset = 0;
    std::uint64_t file_size = 0;
    Digest generation_digest{};
};

std::array<std::uint8_t, trailer_size> encode_trailer(const Trailer& trailer);
Trailer decode_trailer(const std::uint8_t* bytes, const std::string& where);

/// Chunk digest (§5.5): binds the plain data to its volume, window, block size and mask.
Digest chunk_digest(std::uint32_t volume, std::uint64_t window, std::uint32_t block_size,
                    const std::vector<std::uint8_t>& mask, const std::uint8_t* data, std::size_t size);

/// Starts a window digest (§6) as the archive with these required features defines it; the caller
/// then adds the used blocks' data and finishes. With feature_shared_digest the result equals
/// chunk_digest() of the used mask and data.
void begin_window_digest(Sha256& hash, std::uint32_t volume, std::uint64_t window, std::uint32_t block_size,
                         const std::vector<std::uint8_t>& used_mask, std::uint64_t required_features);

/// Lower-case hex of a generation id, and back (throws on malformed text).
std::string id_to_hex(const GenerationId& id);
GenerationId id_from_hex(const std::string& text, const std::string& where);

}  // namespace dagda::image::format
