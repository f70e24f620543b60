#include "image/TibWriter.hpp"

#include "core/Crc32.hpp"
#include "core/Error.hpp"
#include "image/format/Zstd.hpp"

namespace dagda::image {

using namespace format;

namespace {

// Metadata is small, so the level matters little; this one is fast and compresses bitmaps well.
constexpr int metadata_level = 3;

}  // namespace

TibWriter::TibWriter(const std::string& path, const FileHeader& header, const nlohmann::json& generation)
    : TibWriter(open_file_sink(path), header, generation) {}

TibWriter::TibWriter(std::unique_ptr<ArchiveSink> sink, const FileHeader& header, const nlohmann::json& generation)
    : sink_(std::move(sink)), header_(header) {
    const auto bytes = encode_file_header(header);
    write(bytes.data(), bytes.size());
    const std::string text = generation.dump();
    add_metadata(RecordType::generation, std::vector<std::uint8_t>(text.begin(), text.end()), false);
}

void TibWriter::write(const void* data, std::size_t size) {
    sink_->append(data, size);
    offset_ += size;
}

void TibWriter::add_metadata(RecordType type, const std::vector<std::uint8_t>& payload, bool compress) {
    std::vector<std::uint8_t> stored;
    if (compress) ZstdCompressor(metadata_level).compress(payload.data(), payload.size(), stored);
    const std::vector<std::uint8_t>& body = compress ? stored : payload;
    const RecordHeader header{type, compress ? record_flag_zstd : 0u, body.size(), crc32(body.data(), body.size())};
    const auto bytes = encode_record_header(header);
    generation_digest_.update(bytes.data(), bytes.size()).update(body.data(), body.size());
    write(bytes.data(), bytes.size());
    write(body.data(), body.size());
}

void TibWriter::add_layout(const std::string& layout_json) {
    add_metadata(RecordType::layout, std::vector<std::uint8_t>(layout_json.begin(), layout_json.end()), true);
}

void TibWriter::add_first_track(const std::vector<std::uint8_t>& bytes) { add_metadata(RecordType::track, bytes, true); }

std::uint64_t TibWriter::add_chunk(const std::vector<std::uint8_t>& chunk_header, const std::vector<std::uint8_t>& stored) {
    const std::uint64_t at = offset_;
    const RecordHeader header{RecordType::chunk, 0, chunk_header.size() + stored.size(), 0};
    const auto bytes = encode_record_header(header);
    write(bytes.data(), bytes.size());
    write(chunk_header.data(), chunk_header.size());
    write(stored.data(), stored.size());
    return at;
}

Digest TibWriter::finish(const std::vector<VolumeIndex>& volumes) {
    const std::uint64_t volumes_offset = offset_;
    for (const auto& v : volumes) add_metadata(RecordType::volume, encode_volume(v.volume), true);
    std::vector<std::uint8_t> index;
    for (const auto& v : volumes) {
        const IndexSection section{v.volume.number, static_cast<std::uint32_t>(index_entry_fixed_size + v.volume.mask_size()),
                                   v.entries.size()};
        const auto head = encode_index_section(section);
        index.insert(index.end(), head.begin(), head.end());
        for (const auto& entry : v.entries) {
            const auto bytes = encode_index_entry(entry);
            index.insert(index.end(), bytes.begin(), bytes.end());
        }
    }
    const std::uint64_t index_offset = offset_;
    add_metadata(RecordType::index, index, false);
    Trailer trailer{index_offset, volumes_offset, offset_ + trailer_size, generation_digest_.finish()};
    const auto bytes = encode_trailer(trailer);
    write(bytes.data(), bytes.size());
    sink_->commit(offset_, to_hex(trailer.generation_digest));
    return trailer.generation_digest;
}

}  // namespace dagda::image
