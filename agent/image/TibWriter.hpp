#pragma once
/// Writes one TIB archive as a stream, in the order of docs/tib-format.md §2: header and GENR,
/// layout and first track, chunks as they come, then volumes, index and trailer, into a sink (a
/// file, or an upload to the controller) that gives the archive its name only once complete, so an
/// interrupted capture never leaves anything that looks like an archive.

#include "image/sink/ArchiveSink.hpp"
#include "image/format/Sha256.hpp"
#include "image/format/TibFormat.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dagda::image {

/// The index entries of one volume, in ascending window order.
struct VolumeIndex {
    format::VolumeInfo volume;
    std::vector<format::IndexEntry> entries;
};

class TibWriter {
public:
    /// Writes the header and the GENR record into `sink`.
    TibWriter(std::unique_ptr<ArchiveSink> sink, const format::FileHeader& header, const nlohmann::json& generation);
    /// The same into `path` (open_file_sink).
    TibWriter(const std::string& path, const format::FileHeader& header, const nlohmann::json& generation);
    const format::FileHeader& header() const noexcept { return header_; }
    TibWriter(const TibWriter&) = delete;
    TibWriter& operator=(const TibWriter&) = delete;
    /// Drops the sink: an archive not finished gets no name.
    ~TibWriter() = default;

    void add_layout(const std::string& layout_json);
    void add_first_track(const std::vector<std::uint8_t>& bytes);
    /// Appends a chunk record (header from encode_chunk_header, then stored data); returns its offset.
    std::uint64_t add_chunk(const std::vector<std::uint8_t>& chunk_header, const std::vector<std::uint8_t>& stored);
    /// Writes VOLM records and the index and the trailer, then commits the sink (synced and
    /// renamed, or verified and committed by the controller). Returns the generation digest.
    format::Digest finish(const std::vector<VolumeIndex>& volumes);

    std::uint64_t bytes_written() const noexcept { return offset_; }

private:
    void write(const void* data, std::size_t size);
    void add_metadata(format::RecordType type, const std::vector<std::uint8_t>& payload, bool compress);

    std::unique_ptr<ArchiveSink> sink_;
    format::FileHeader header_;
    std::uint64_t offset_ = 0;
    format::Sha256 generation_digest_;
};

}  // namespace dagda::image
