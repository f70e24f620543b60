#include "image/format/TibFormat.hpp"

#include "core/Bytes.hpp"
#include "core/Crc32.hpp"
#include "core/Error.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace dagda::image::format {

namespace {

[[noreturn]] void corrupt(const std::string& where, const std::string& what) {
    throw Error(ErrorKind::failed, where + ": " + what);
}

bool all_zero(const std::uint8_t* data, std::size_t size) {
    return std::all_of(data, data + size, [](std::uint8_t b) { return b == 0; });
}

bool is_power_of_two(std::uint64_t value) { return value != 0 && (value & (value - 1)) == 0; }

bool known_type(std::uint32_t value) {
    for (const RecordType type : {RecordType::generation, RecordType::layout, RecordType::track, RecordType::volume,
                                  RecordType::chunk, RecordType::index})
        if (value == static_cast<std::uint32_t>(type)) return true;
    return false;
}

}  // namespace

std::string to_string(RecordType type) {
    const auto value = static_cast<std::uint32_t>(type);
    std::string text;
    for (std::size_t i = 0; i < 4; ++i) {
        const char c = static_cast<char>(value >> (8 * i));
        text += (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    return text;
}

std::array<std::uint8_t, file_header_size> encode_file_header(const FileHeader& h) {
    std::array<std::uint8_t, file_header_size> out{};
    std::copy(file_magic.begin(), file_magic.end(), out.begin());
    store_le(out.data() + 8, major_version);
    store_le(out.data() + 10, h.minor);
    store_le(out.data() + 12, static_cast<std::uint32_t>(file_header_size));
    store_le(out.data() + 16, h.required_features);
    store_le(out.data() + 24, h.optional_features);
    std::copy(h.generation_id.begin(), h.generation_id.end(), out.begin() + 32);
    store_le(out.data() + 60, crc32(out.data(), 60));
    return out;
}

FileHeader decode_file_header(const std::uint8_t* b, const std::string& where) {
    if (!std::equal(file_magic.begin(), file_magic.end(), b)) corrupt(where, "not a TIB archive (bad magic)");
    if (load_le<std::uint32_t>(b + 60) != crc32(b, 60)) corrupt(where, "file header CRC mismatch");
    const auto major = load_le<std::uint16_t>(b + 8);
    if (major != major_version) corrupt(where, "TIB format version " + std::to_string(major) + " is not supported (this reader knows 1)");
    if (load_le<std::uint32_t>(b + 12) != file_header_size) corrupt(where, "file header size is not 64");
    FileHeader h;
    h.minor = load_le<std::uint16_t>(b + 10);
    h.required_features = load_le<std::uint64_t>(b + 16);
    h.optional_features = load_le<std::uint64_t>(b + 24);
    if (h.required_features & ~known_required_features)
        corrupt(where, "unknown required feature flags 0x" + [&] {
            char text[20];
            std::snprintf(text, sizeof text, "%llx", static_cast<unsigned long long>(h.required_features & ~known_required_features));
            return std::string(text);
        }());
    std::copy(b + 32, b + 48, h.generation_id.begin());
    return h;
}

std::array<std::uint8_t, record_header_size> encode_record_header(const RecordHeader& h) {
    std::array<std::uint8_t, record_header_size> out{};
    store_le(out.data(), static_cast<std::uint32_t>(h.type));
    store_le(out.data() + 4, h.flags);
    store_le(out.data() + 8, h.payload_size);
    store_le(out.data() + 16, h.payload_crc);
    store_le(out.data() + 20, crc32(out.data(), 20));
    return out;
}

RecordHeader decode_record_header(const std::uint8_t* b, const std::string& where) {
    if (load_le<std::uint32_t>(b + 20) != crc32(b, 20)) corrupt(where, "record header CRC mismatch");
    const auto type = load_le<std::uint32_t>(b);
    if (!known_type(type)) corrupt(where, "unknown record type '" + to_string(static_cast<RecordType>(type)) + "'");
    RecordHeader h{static_cast<RecordType>(type), load_le<std::uint32_t>(b + 4), load_le<std::uint64_t>(b + 8),
                   load_le<std::uint32_t>(b + 16)};
    const std::string name = to_string(h.type) + " record";
    const bool compressible = h.type == RecordType::layout || h.type == RecordType::track || h.type == RecordType::volume;
    if (h.flags & ~record_flag_zstd || ((h.flags & record_flag_zstd) && !compressible))
        corrupt(where, name + " has flags 0x" + std::to_string(h.flags) + " that are not allowed");
    const bool metadata = h.type != RecordType::chunk && h.type != RecordType::index;
    if (metadata && h.payload_size > max_metadata_size)
        corrupt(where, name + " declares " + std::to_string(h.payload_size) + " bytes, more than the 64 MiB limit");
    if (h.type == RecordType::chunk && h.payload_size > max_window_size + chunk_fixed_size + max_window_size / 8 + 4096)
        corrupt(where, name + " declares " + std::to_string(h.payload_size) + " bytes, more than any chunk can hold");
    if (h.type == RecordType::chunk && h.payload_crc != 0) corrupt(where, name + " has a payload CRC; chunks have none");
    return h;
}

std::uint32_t VolumeInfo::block_length(std::uint64_t block) const {
    const std::uint64_t start = block * block_size;
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(block_size, volume_size - start));
}

std::vector<std::uint8_t> VolumeInfo::window_mask(std::uint64_t window) const {
    std::vector<std::uint8_t> mask(mask_size(), 0);
    const std::uint64_t first = window * blocks_per_window();
    const std::uint64_t last = std::min<std::uint64_t>(first + blocks_per_window(), block_count());
    if (first % 8 == 0 && blocks_per_window() % 8 == 0) {  // the usual case: whole bytes
        std::copy(bitmap.begin() + static_cast<std::ptrdiff_t>(first / 8),
                  bitmap.begin() + static_cast<std::ptrdiff_t>((last + 7) / 8), mask.begin());
        return mask;
    }
    for (std::uint64_t block = first; block < last; ++block)
        if (is_used(block)) mask[(block - first) / 8] |= static_cast<std::uint8_t>(1u << ((block - first) % 8));
    return mask;
}

bool VolumeInfo::window_used(std::uint64_t window) const {
    const std::uint64_t first = window * blocks_per_window();
    const std::uint64_t last = std::min<std::uint64_t>(first + blocks_per_window(), block_count());
    for (std::uint64_t block = first; block < last;) {
        if (block % 8 == 0 && block + 8 <= last) {  // a whole byte at a time where it can
            if (bitmap[block / 8]) return true;
            block += 8;
        } else {
            if (is_used(block)) return true;
            ++block;
        }
    }
    return false;
}

std::vector<std::uint8_t> encode_volume(const VolumeInfo& v) {
    std::vector<std::uint8_t> out(volume_fixed_size + v.bitmap.size(), 0);
    store_le(out.data(), v.number);
    store_le(out.data() + 4, v.block_size);
    store_le(out.data() + 8, v.volume_size);
    store_le(out.data() + 16, v.window_size);
    store_le(out.data() + 24, v.used_blocks);
    store_le(out.data() + 32, v.first_sector);
    std::memcpy(out.data() + 40, v.filesystem.data(), std::min<std::size_t>(v.filesystem.size(), 16));
    store_le(out.data() + 56, static_cast<std::uint64_t>(v.bitmap.size()));
    std::copy(v.bitmap.begin(), v.bitmap.end(), out.begin() + volume_fixed_size);
    return out;
}

VolumeInfo decode_volume(const std::vector<std::uint8_t>& p, const std::string& where) {
    if (p.size() < volume_fixed_size) corrupt(where, "VOLM payload is shorter than 64 bytes");
    VolumeInfo v;
    v.number = load_le<std::uint32_t>(p.data());
    v.block_size = load_le<std::uint32_t>(p.data() + 4);
    v.volume_size = load_le<std::uint64_t>(p.data() + 8);
    v.window_size = load_le<std::uint64_t>(p.data() + 16);
    v.used_blocks = load_le<std::uint64_t>(p.data() + 24);
    v.first_sector = load_le<std::uint64_t>(p.data() + 32);
    const std::string vol = "volume " + std::to_string(v.number);
    if (!is_power_of_two(v.block_size) || v.block_size < min_block_size || v.block_size > max_block_size)
        corrupt(where, vol + ": block size " + std::to_string(v.block_size) + " is not a power of two from 512 to 65536");
    if (!is_power_of_two(v.window_size) || v.window_size < min_window_size || v.window_size > max_window_size ||
        v.window_size % v.block_size != 0)
        corrupt(where, vol + ": window size " + std::to_string(v.window_size) + " is not allowed");
    if (v.volume_size == 0 || v.volume_size > (1ull << 56)) corrupt(where, vol + ": volume size " + std::to_string(v.volume_size) + " is not allowed");
    const char* name = reinterpret_cast<const char*>(p.data() + 40);
    v.filesystem.assign(name, strnlen(name, 16));
    for (const char c : v.filesystem)
        if (c < 0x21 || c > 0x7e) corrupt(where, vol + ": filesystem type is not printable ASCII");
    const std::uint64_t bitmap_size = load_le<std::uint64_t>(p.data() + 56);
    if (bitmap_size != (v.block_count() + 7) / 8 || bitmap_size != p.size() - volume_fixed_size)
        corrupt(where, vol + ": bitmap size " + std::to_string(bitmap_size) + " does not match the volume");
    v.bitmap.assign(p.begin() + volume_fixed_size, p.end());
    const unsigned tail_bits = static_cast<unsigned>(v.block_count() % 8);
    if (tail_bits && (v.bitmap.back() >> tail_bits) != 0) corrupt(where, vol + ": bitmap marks blocks past the end");
    std::uint64_t used = 0;
    for (const std::uint8_t byte : v.bitmap) used += static_cast<std::uint64_t>(std::popcount(byte));
    if (used != v.used_blocks) corrupt(where, vol + ": used block count does not match the bitmap");
    return v;
}

std::uint64_t masked_length(const VolumeInfo& v, std::uint64_t window, const std::vector<std::uint8_t>& mask) {
    std::uint64_t total = 0;
    const std::uint64_t first = window * v.blocks_per_window();
    for (std::uint32_t j = 0; j < v.blocks_per_window(); ++j)
        if ((mask[j / 8] >> (j % 8)) & 1) total += v.block_length(first + j);
    return total;
}

std::vector<std::uint8_t> encode_chunk_header(const ChunkHeader& c) {
    std::vector<std::uint8_t> out(c.size(), 0);
    store_le(out.data(), c.volume);
    out[4] = c.compression;
    out[5] = c.level;
    store_le(out.data() + 8, c.window);
    store_le(out.data() + 16, c.plain_length);
    store_le(out.data() + 20, static_cast<std::uint32_t>(c.mask.size()));
    std::copy(c.digest.begin(), c.digest.end(), out.begin() + 24);
    std::copy(c.mask.begin(), c.mask.end(), out.begin() + chunk_fixed_size);
    return out;
}

ChunkHeader decode_chunk_header(const std::uint8_t* b, std::size_t available, const VolumeInfo& v,
                                const std::string& where) {
    if (available < chunk_fixed_size) corrupt(where, "chunk is shorter than its header");
    ChunkHeader c;
    c.volume = load_le<std::uint32_t>(b);
    c.compression = b[4];
    c.level = b[5];
    c.window = load_le<std::uint64_t>(b + 8);
    c.plain_length = load_le<std::uint32_t>(b + 16);
    const auto mask_size = load_le<std::uint32_t>(b + 20);
    if (c.volume != v.number) corrupt(where, "chunk belongs to volume " + std::to_string(c.volume) + ", not " + std::to_string(v.number));
    if (c.compression > 1 || b[6] != 0 || b[7] != 0) corrupt(where, "chunk has an unknown compression or reserved bytes set");
    if (mask_size != v.mask_size() || available < chunk_fixed_size + mask_size) corrupt(where, "chunk mask size is wrong");
    if (c.window >= v.window_count()) corrupt(where, "chunk window " + std::to_string(c.window) + " is past the end of the volume");
    std::copy(b + 24, b + 56, c.digest.begin());
    c.mask.assign(b + chunk_fixed_size, b + chunk_fixed_size + mask_size);
    const std::vector<std::uint8_t> used = v.window_mask(c.window);
    for (std::size_t i = 0; i < c.mask.size(); ++i)
        if (c.mask[i] & ~used[i]) corrupt(where, "chunk holds blocks the volume's bitmap does not mark used");
    if (c.plain_length != masked_length(v, c.window, c.mask)) corrupt(where, "chunk plain length does not match its mask");
    if (c.compression == 0 && available != chunk_fixed_size + mask_size + c.plain_length)
        corrupt(where, "uncompressed chunk size does not match its plain length");
    return c;
}

std::array<std::uint8_t, index_section_header_size> encode_index_section(const IndexSection& s) {
    std::array<std::uint8_t, index_section_header_size> out{};
    store_le(out.data(), s.volume);
    store_le(out.data() + 4, s.entry_size);
    store_le(out.data() + 8, s.count);
    return out;
}

IndexSection decode_index_section(const std::uint8_t* b, const std::string& where) {
    IndexSection s{load_le<std::uint32_t>(b), load_le<std::uint32_t>(b + 4), load_le<std::uint64_t>(b + 8)};
    if (s.entry_size < index_entry_fixed_size + 1 || s.entry_size > index_entry_fixed_size + max_window_size / min_block_size / 8)
        corrupt(where, "index section of volume " + std::to_string(s.volume) + " has entry size " + std::to_string(s.entry_size));
    return s;
}

std::vector<std::uint8_t> encode_index_entry(const IndexEntry& e) {
    std::vector<std::uint8_t> out(index_entry_fixed_size + e.present.size(), 0);
    store_le(out.data(), e.window);
    store_le(out.data() + 8, e.chunk_offset);
    std::copy(e.window_digest.begin(), e.window_digest.end(), out.begin() + 24);
    std::copy(e.present.begin(), e.present.end(), out.begin() + index_entry_fixed_size);
    return out;
}

IndexEntry decode_index_entry(const std::uint8_t* b, std::size_t mask_size, const std::string& where) {
    IndexEntry e;
    e.window = load_le<std::uint64_t>(b);
    e.chunk_offset = load_le<std::uint64_t>(b + 8);
    if (!all_zero(b + 16, 8)) corrupt(where, "index entry reserved bytes are set");
    std::copy(b + 24, b + 56, e.window_digest.begin());
    e.present.assign(b + index_entry_fixed_size, b + index_entry_fixed_size + mask_size);
    if (e.chunk_offset == 0 && !all_zero(e.present.data(), e.present.size()))
        corrupt(where, "index entry of window " + std::to_string(e.window) + " has blocks but no chunk");
    return e;
}

std::array<std::uint8_t, trailer_size> encode_trailer(const Trailer& t) {
    std::array<std::uint8_t, trailer_size> out{};
    store_le(out.data(), t.index_offset);
    store_le(out.data() + 8, t.volumes_offset);
    store_le(out.data() + 16, t.file_size);
    std::copy(t.generation_digest.begin(), t.generation_digest.end(), out.begin() + 24);
    store_le(out.data() + 56, crc32(out.data(), 56));
    std::copy(trailer_magic.begin(), trailer_magic.end(), out.begin() + 60);
    return out;
}

Trailer decode_trailer(const std::uint8_t* b, const std::string& where) {
    if (!std::equal(trailer_magic.begin(), trailer_magic.end(), b + 60))
        corrupt(where, "no TIB trailer at the end (the archive is truncated or was not finished)");
    if (load_le<std::uint32_t>(b + 56) != crc32(b, 56)) corrupt(where, "trailer CRC mismatch");
    Trailer t;
    t.index_offset = load_le<std::uint64_t>(b);
    t.volumes_offset = load_le<std::uint64_t>(b + 8);
    t.file_size = load_le<std::uint64_t>(b + 16);
    std::copy(b + 24, b + 56, t.generation_digest.begin());
    return t;
}

Digest chunk_digest(std::uint32_t volume, std::uint64_t window, std::uint32_t block_size,
                    const std::vector<std::uint8_t>& mask, const std::uint8_t* data, std::size_t size) {
    Sha256 hash;
    hash.update("DAGDA-TIB-CHUNK-1").update_le32(volume).update_le64(window).update_le32(block_size);
    hash.update(mask.data(), mask.size()).update(data, size);
    return hash.finish();
}

void begin_window_digest(Sha256& hash, std::uint32_t volume, std::uint64_t window, std::uint32_t block_size,
                         const std::vector<std::uint8_t>& used_mask, std::uint64_t required_features) {
    hash.update((required_features & feature_shared_digest) ? "DAGDA-TIB-CHUNK-1" : "DAGDA-TIB-WINDOW-1");
    hash.update_le32(volume).update_le64(window).update_le32(block_size);
    hash.update(used_mask.data(), used_mask.size());
}

std::string id_to_hex(const GenerationId& id) { return dagda::to_hex(id.data(), id.size()); }

GenerationId id_from_hex(const std::string& text, const std::string& where) {
    if (text.size() != 32 || text.find_first_not_of("0123456789abcdef") != std::string::npos)
        corrupt(where, "generation id \"" + text + "\" is not 32 lower-case hex digits");
    GenerationId id{};
    for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::uint8_t>(std::stoul(text.substr(2 * i, 2), nullptr, 16));
    return id;
}

}  // namespace dagda::image::format
