#include "image/TibArchive.hpp"

#include "core/Crc32.hpp"
#include "core/Error.hpp"

#include <algorithm>

namespace dagda::image {

using namespace format;

namespace {

constexpr std::size_t index_batch_bytes = 1 << 20;  // streaming buffer for the index

bool any_bit(const std::vector<std::uint8_t>& mask) {
    return std::any_of(mask.begin(), mask.end(), [](std::uint8_t b) { return b != 0; });
}

}  // namespace

std::string TibArchive::where(std::uint64_t offset) const { return name() + " at offset " + std::to_string(offset); }

[[noreturn]] static void corrupt(const std::string& where, const std::string& what) {
    throw Error(ErrorKind::failed, where + ": " + what);
}

TibArchive::TibArchive(std::unique_ptr<ByteSource> source) : source_(std::move(source)) {
    const std::uint64_t size = source_->size();
    if (size < file_header_size + record_header_size + trailer_size)
        corrupt(name(), "too small to be a TIB archive (" + std::to_string(size) + " bytes)");
    std::array<std::uint8_t, file_header_size> head{};
    source_->read_at(0, head.data(), head.size());
    header_ = decode_file_header(head.data(), where(0));
    std::array<std::uint8_t, trailer_size> tail{};
    source_->read_at(size - trailer_size, tail.data(), tail.size());
    trailer_ = decode_trailer(tail.data(), where(size - trailer_size));
    if (trailer_.file_size != size)
        corrupt(name(), "the trailer says the archive has " + std::to_string(trailer_.file_size) + " bytes, it has " +
                            std::to_string(size) + " (truncated or appended to)");
    // The GENR record (at least a header) lies before the volumes; this also keeps every
    // "bytes left before the index" subtraction below from wrapping.
    if (trailer_.volumes_offset < file_header_size + record_header_size || trailer_.volumes_offset >= trailer_.index_offset ||
        trailer_.index_offset + record_header_size > size - trailer_size)
        corrupt(where(size - trailer_size), "trailer offsets point outside the archive");
    Sha256 digest;
    chunks_begin_ = read_disk_records(digest, read_generation(digest));
    read_volumes(digest);
    read_index(digest);
    if (digest.finish() != trailer_.generation_digest)
        corrupt(name(), "generation digest mismatch: the metadata or the index was changed or damaged");
}

std::vector<std::uint8_t> TibArchive::read_metadata(std::uint64_t offset, RecordHeader& header, Sha256& digest) {
    std::array<std::uint8_t, record_header_size> head{};
    source_->read_at(offset, head.data(), head.size());
    header = decode_record_header(head.data(), where(offset));
    if (header.payload_size > trailer_.index_offset - offset - record_header_size && header.type != RecordType::index)
        corrupt(where(offset), to_string(header.type) + " record runs past the index");
    std::vector<std::uint8_t> stored(header.payload_size);
    source_->read_at(offset + record_header_size, stored.data(), stored.size());
    if (crc32(stored.data(), stored.size()) != header.payload_crc)
        corrupt(where(offset), to_string(header.type) + " record payload CRC mismatch");
    digest.update(head.data(), head.size()).update(stored.data(), stored.size());
    if (!(header.flags & record_flag_zstd)) return stored;
    // The frame declares its size; a metadata record may not claim more than 64 MiB plain.
    std::vector<std::uint8_t> plain;
    ZstdDecompressor zstd;
    const auto declared = zstd_frame_content_size(stored.data(), stored.size());
    if (!declared || *declared > max_metadata_size)
        corrupt(where(offset), to_string(header.type) + " record's compressed payload is corrupt or too large");
    plain.resize(static_cast<std::size_t>(*declared));
    zstd.decompress(stored.data(), stored.size(), plain.data(), plain.size(), where(offset));
    return plain;
}

std::uint64_t TibArchive::read_generation(Sha256& digest) {
    RecordHeader header;
    const auto payload = read_metadata(file_header_size, header, digest);
    const std::uint64_t end = file_header_size + record_header_size + header.payload_size;
    if (header.type != RecordType::generation) corrupt(where(file_header_size), "the first record is not GENR");
    try {
        generation_ = nlohmann::json::parse(payload.begin(), payload.end());
    } catch (const nlohmann::json::exception& e) {
        corrupt(where(file_header_size), std::string("GENR record is not valid JSON: ") + e.what());
    }
    const auto text = [&](const char* key) {
        if (!generation_.is_object() || !generation_.contains(key) || !generation_[key].is_string())
            corrupt(where(file_header_size), std::string("GENR record has no \"") + key + "\" string");
        return generation_[key].get<std::string>();
    };
    if (text("format") != "dagda-tib") corrupt(where(file_header_size), "GENR format is not \"dagda-tib\"");
    if (text("id") != id()) corrupt(where(file_header_size), "GENR id does not match the file header's generation id");
    const std::string kind = text("kind");
    if (kind != "disk" && kind != "volume") corrupt(where(file_header_size), "GENR kind must be \"disk\" or \"volume\"");
    const bool has_base = generation_.contains("base") && !generation_["base"].is_null();
    if (has_base != is_incremental())
        corrupt(where(file_header_size), "GENR base and the incremental feature flag disagree");
    if (has_base) {
        const auto& base = generation_["base"];
        if (!base.is_object() || !base.contains("id") || !base["id"].is_string() || !base.contains("digest") ||
            !base["digest"].is_string() || !base.contains("name") || !base["name"].is_string())
            corrupt(where(file_header_size), "GENR base needs \"id\", \"digest\" and \"name\" strings");
        id_from_hex(base["id"].get<std::string>(), where(file_header_size));
    }
    return end;
}

std::uint64_t TibArchive::read_disk_records(Sha256& digest, std::uint64_t offset) {
    std::array<std::uint8_t, record_header_size> head{};
    RecordHeader header;
    for (RecordType expected : {RecordType::layout, RecordType::track}) {
        if (offset >= trailer_.volumes_offset) break;
        source_->read_at(offset, head.data(), head.size());
        if (decode_record_header(head.data(), where(offset)).type != expected) break;
        const auto payload = read_metadata(offset, header, digest);
        if (expected == RecordType::layout) layout_.emplace(payload.begin(), payload.end());
        else first_track_ = payload;
        offset += record_header_size + header.payload_size;
    }
    if (offset > trailer_.volumes_offset) corrupt(where(offset), "metadata records run into the volumes");
    const bool disk = generation_["kind"] == "disk";
    if (disk != (layout_.has_value() && first_track_.has_value()))
        corrupt(name(), disk ? "a disk generation needs LAYT and TRAK records" : "a volume generation has disk records");
    return offset;
}

void TibArchive::read_volumes(Sha256& digest) {
    std::uint64_t offset = trailer_.volumes_offset;
    while (offset < trailer_.index_offset) {
        RecordHeader header;
        const auto payload = read_metadata(offset, header, digest);
        if (header.type != RecordType::volume) corrupt(where(offset), to_string(header.type) + " record among the volumes");
        VolumeInfo volume = decode_volume(payload, where(offset));
        for (const auto& other : volumes_)
            if (other.number == volume.number) corrupt(where(offset), "volume " + std::to_string(volume.number) + " appears twice");
        volumes_.push_back(std::move(volume));
        offset += record_header_size + header.payload_size;
    }
    if (offset != trailer_.index_offset) corrupt(where(offset), "the last volume runs into the index");
    if (volumes_.empty()) corrupt(name(), "the archive holds no volume");
}

const VolumeInfo& TibArchive::volume(std::uint32_t number) const {
    for (const auto& v : volumes_)
        if (v.number == number) return v;
    throw Error(ErrorKind::failed, name() + " has no volume " + std::to_string(number));
}

void TibArchive::check_entry(const VolumeInfo& volume, const IndexEntry& entry, std::uint64_t previous_window,
                             bool first, std::uint64_t offset) const {
    const std::string at = where(offset) + ": index entry of volume " + std::to_string(volume.number) + " window " +
                           std::to_string(entry.window);
    if (!first && entry.window <= previous_window) corrupt(at, "entries are not in ascending window order");
    if (entry.window >= volume.window_count()) corrupt(at, "window is past the end of the volume");
    const auto used = volume.window_mask(entry.window);
    if (!any_bit(used)) corrupt(at, "window has no used block");
    for (std::size_t i = 0; i < used.size(); ++i)
        if (entry.present[i] & ~used[i]) corrupt(at, "entry holds blocks the bitmap does not mark used");
    if (entry.chunk_offset != 0 && (entry.chunk_offset < chunks_begin_ || entry.chunk_offset >= trailer_.volumes_offset))
        corrupt(at, "chunk offset " + std::to_string(entry.chunk_offset) + " is outside the chunk area");
    if (!is_incremental() && entry.present != used) corrupt(at, "a full generation must hold every used block");
}

void TibArchive::read_index(Sha256& digest) {
    RecordHeader header;
    std::array<std::uint8_t, record_header_size> head{};
    const std::uint64_t offset = trailer_.index_offset;
    source_->read_at(offset, head.data(), head.size());
    header = decode_record_header(head.data(), where(offset));
    if (header.type != RecordType::index) corrupt(where(offset), "the trailer does not point at the INDX record");
    if (offset + record_header_size + header.payload_size != source_->size() - trailer_size)
        corrupt(where(offset), "the index does not end where the trailer starts");
    digest.update(head.data(), head.size());
    // Stream the payload: hash, CRC and check every section and entry without holding it whole.
    std::uint32_t crc = 0;  // the CRC of no bytes
    std::uint64_t position = offset + record_header_size;
    const std::uint64_t end = position + header.payload_size;
    std::vector<std::uint8_t> buffer;
    const auto take = [&](std::size_t length) {
        if (length > end - position) corrupt(where(position), "index payload ends inside a section");
        buffer.resize(length);
        source_->read_at(position, buffer.data(), length);
        crc = crc32_update(crc, buffer.data(), length);
        digest.update(buffer.data(), length);
        position += length;
    };
    std::size_t volume_position = 0;
    while (position < end) {
        const std::uint64_t section_at = position;
        take(index_section_header_size);
        const IndexSection s = decode_index_section(buffer.data(), where(section_at));
        if (volume_position >= volumes_.size() || volumes_[volume_position].number != s.volume)
            corrupt(where(section_at), "index sections must follow the volumes in order");
        const VolumeInfo& volume = volumes_[volume_position++];
        if (s.entry_size != index_entry_fixed_size + volume.mask_size()) corrupt(where(section_at), "index entry size is wrong");
        if (s.count > (end - position) / s.entry_size) corrupt(where(section_at), "index section is longer than the index");
        sections_.push_back({s.volume, position, s.entry_size, s.count});
        std::uint64_t windows_with_data = 0;
        for (std::uint64_t w = 0; w < volume.window_count(); ++w) windows_with_data += volume.window_used(w) ? 1 : 0;
        if (windows_with_data != s.count) corrupt(where(section_at), "the index does not list every window that has used blocks");
        std::uint64_t previous = 0;
        const std::uint64_t per_batch = std::max<std::uint64_t>(1, index_batch_bytes / s.entry_size);
        for (std::uint64_t i = 0; i < s.count; i += per_batch) {
            const std::uint64_t n = std::min(per_batch, s.count - i);
            const std::uint64_t batch_at = position;
            take(static_cast<std::size_t>(n * s.entry_size));
            for (std::uint64_t k = 0; k < n; ++k) {
                const IndexEntry entry = decode_index_entry(buffer.data() + k * s.entry_size, volume.mask_size(), where(batch_at));
                check_entry(volume, entry, previous, i + k == 0, batch_at + k * s.entry_size);
                previous = entry.window;
            }
        }
    }
    if (volume_position != volumes_.size()) corrupt(where(offset), "the index has no section for some volume");
    if (crc != header.payload_crc) corrupt(where(offset), "INDX record payload CRC mismatch");
}

const TibArchive::Section& TibArchive::section(std::uint32_t volume) const {
    for (const auto& s : sections_)
        if (s.volume == volume) return s;
    throw Error(ErrorKind::failed, name() + " has no volume " + std::to_string(volume));
}

std::uint64_t TibArchive::entry_count(std::uint32_t volume) const { return section(volume).count; }

IndexEntry TibArchive::entry_at(const Section& s, std::uint64_t position) {
    std::vector<std::uint8_t> bytes(s.entry_size);
    const std::uint64_t offset = s.entries_offset + position * s.entry_size;
    source_->read_at(offset, bytes.data(), bytes.size());
    return decode_index_entry(bytes.data(), s.entry_size - index_entry_fixed_size, where(offset));
}

std::optional<IndexEntry> TibArchive::find(std::uint32_t volume, std::uint64_t window) {
    const Section& s = section(volume);
    std::uint64_t low = 0;
    std::uint64_t high = s.count;
    while (low < high) {
        const std::uint64_t mid = low + (high - low) / 2;
        IndexEntry entry = entry_at(s, mid);
        if (entry.window == window) return entry;
        if (entry.window < window) low = mid + 1;
        else high = mid;
    }
    return std::nullopt;
}

TibArchive::EntryCursor::EntryCursor(TibArchive& archive, std::uint32_t volume) : archive_(archive), volume_(volume) {
    archive_.section(volume);  // throws for an unknown volume now, not at the first next()
}

void TibArchive::EntryCursor::skip_to(std::uint64_t window) {
    const Section& s = archive_.section(volume_);
    std::uint64_t low = next_;
    std::uint64_t high = s.count;
    while (low < high) {
        const std::uint64_t mid = low + (high - low) / 2;
        if (archive_.entry_at(s, mid).window < window) low = mid + 1;
        else high = mid;
    }
    next_ = low;
    batch_count_ = 0;
}

std::optional<IndexEntry> TibArchive::EntryCursor::next() {
    const Section& s = archive_.section(volume_);
    if (next_ >= s.count) return std::nullopt;
    if (next_ >= batch_first_ + batch_count_) {
        batch_first_ = next_;
        batch_count_ = std::min<std::uint64_t>(std::max<std::uint64_t>(1, index_batch_bytes / s.entry_size), s.count - next_);
        batch_.resize(static_cast<std::size_t>(batch_count_ * s.entry_size));
        archive_.source_->read_at(s.entries_offset + batch_first_ * s.entry_size, batch_.data(), batch_.size());
    }
    const std::uint64_t at = s.entries_offset + next_ * s.entry_size;
    IndexEntry entry = decode_index_entry(batch_.data() + (next_ - batch_first_) * s.entry_size,
                                          s.entry_size - index_entry_fixed_size, archive_.where(at));
    ++next_;
    return entry;
}

const ByteBuffer& TibArchive::ChunkReader::read(const VolumeInfo& volume, const IndexEntry& entry) {
    const std::string at = archive_.where(entry.chunk_offset) + ": chunk of volume " + std::to_string(volume.number) +
                           " window " + std::to_string(entry.window);
    std::array<std::uint8_t, record_header_size> head{};
    archive_.source_->read_at(entry.chunk_offset, head.data(), head.size());
    const RecordHeader header = decode_record_header(head.data(), at);
    if (header.type != RecordType::chunk) corrupt(at, "the index points at a " + to_string(header.type) + " record");
    if (header.payload_size > archive_.trailer_.volumes_offset - entry.chunk_offset - record_header_size)
        corrupt(at, "chunk runs past the chunk area");
    // Room for the largest chunk a window makes, reserved once: a buffer that grows chunk by chunk
    // is moved and faulted in again each time it does.
    if (plain_.capacity() < volume.window_size) {
        plain_.reserve(volume.window_size);
        stored_.reserve(volume.window_size + volume.window_size / 64 + 4096);
    }
    stored_.resize(header.payload_size);
    archive_.source_->read_at(entry.chunk_offset + record_header_size, stored_.data(), stored_.size());
    const ChunkHeader chunk = decode_chunk_header(stored_.data(), stored_.size(), volume, at);
    if (chunk.window != entry.window || chunk.mask != entry.present) corrupt(at, "chunk does not match its index entry");
    const std::uint8_t* data = stored_.data() + chunk.size();
    const std::size_t data_size = stored_.size() - chunk.size();
    if (chunk.compression == 1) {
        plain_.resize(chunk.plain_length);
        zstd_.decompress(data, data_size, plain_.data(), plain_.size(), at);
    } else {
        plain_.assign(data, data + data_size);
    }
    if (chunk_digest(volume.number, chunk.window, volume.block_size, chunk.mask, plain_.data(), plain_.size()) != chunk.digest)
        corrupt(at, "chunk digest mismatch: the data is damaged or was moved from elsewhere");
    return plain_;
}

}  // namespace dagda::image
