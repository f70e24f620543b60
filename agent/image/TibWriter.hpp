#pragma once
/// Writes one TIB archive as a stream, in the order of docs/tib-format.md §2: header and GENR,
/// layout and first track, chunks as they come, then volumes, index and trailer. The file is
/// written under a ".partial" name and renamed only once complete and synced, so an interrupted
/// capture never leaves a file that looks like an archive.

#include "core/UniqueFd.hpp"
#include "image/format/Sha256.hpp"
#include "image/format/TibFormat.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
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
    /// Creates `path`.partial and writes the header and the GENR record.
    TibWriter(const std::string& path, const format::FileHeader& header, const nlohmann::json& generation);
    const format::FileHeader& header() const noexcept { return header_; }
    TibWriter(const TibWriter&) = delete;
    TibWriter& operator=(const TibWriter&) = delete;
    /// Removes the partial file unless finish() succeeded.
    ~TibWriter();

    void add_layout(const std::string& layout_json);
    void add_first_track(const std::vector<std::uint8_t>& bytes);
    /// Appends a chunk record (header from encode_chunk_header, then stored data); returns its offset.
    std::uint64_t add_chunk(const std::vector<std::uint8_t>& chunk_header, const std::vector<std::uint8_t>& stored);
    /// Writes VOLM records and the index, the trailer, syncs and renames to the final name.
    /// Returns the generation digest.
    format::Digest finish(const std::vector<VolumeIndex>& volumes);

    std::uint64_t bytes_written() const noexcept { return offset_; }

private:
    void write(const void* data, std::size_t size);
    void add_metadata(format::RecordType type, const std::vector<std::uint8_t>& payload, bool compress);

    std::string path_;
    std::string partial_path_;
    format::FileHeader header_;
    UniqueFd fd_;
    std::uint64_t offset_ = 0;
    format::Sha256 generation_digest_;
    bool finished_ = false;
};

}  // namespace dagda::image
