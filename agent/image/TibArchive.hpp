#pragma once
/// Reads one TIB archive (docs/tib-format.md) from any ByteSource. Opening checks everything but
/// the chunks (§8 steps 1-4): header, trailer, every metadata record, the whole index, and the
/// generation digest. Chunks are checked (digest included) each time one is read. Memory stays
/// bounded: the index is streamed from the source, never held whole.

#include "core/ByteBuffer.hpp"
#include "image/format/TibFormat.hpp"
#include "image/format/Zstd.hpp"
#include "image/source/ByteSource.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dagda::image {

class TibArchive {
public:
    /// Opens and checks; throws Error{failed} naming the archive, the record and the offset.
    explicit TibArchive(std::unique_ptr<ByteSource> source);

    const std::string& name() const { return source_->name(); }
    const format::FileHeader& header() const { return header_; }
    const format::Trailer& trailer() const { return trailer_; }
    const nlohmann::json& generation() const { return generation_; }
    std::string id() const { return format::id_to_hex(header_.generation_id); }
    bool is_incremental() const { return header_.required_features & format::feature_incremental; }
    const std::optional<std::string>& layout() const { return layout_; }
    const std::optional<std::vector<std::uint8_t>>& first_track() const { return first_track_; }
    const std::vector<format::VolumeInfo>& volumes() const { return volumes_; }
    /// The volume with this number; throws Error{failed} when the archive has none.
    const format::VolumeInfo& volume(std::uint32_t number) const;
    /// Number of windows of `volume` this generation has an index entry for.
    std::uint64_t entry_count(std::uint32_t volume) const;

    /// Reads index entries of one volume in window order, a batch at a time.
    class EntryCursor {
    public:
        /// The next entry, or nullopt after the last.
        std::optional<format::IndexEntry> next();
        /// Moves to the first entry whose window is at least `window` (binary search).
        void skip_to(std::uint64_t window);

    private:
        friend class TibArchive;
        EntryCursor(TibArchive& archive, std::uint32_t volume);
        TibArchive& archive_;
        std::uint32_t volume_;
        std::uint64_t next_ = 0;
        std::vector<std::uint8_t> batch_;
        std::uint64_t batch_first_ = 0;
        std::uint64_t batch_count_ = 0;
    };
    EntryCursor entries(std::uint32_t volume) { return EntryCursor(*this, volume); }

    /// The entry for `window` of `volume` (binary search in the archive), or nullopt.
    std::optional<format::IndexEntry> find(std::uint32_t volume, std::uint64_t window);

    /// Reads the chunk an entry points to, checks it against the entry and its digest, and
    /// returns its plain data (the present blocks, in order) in `plain`. Not thread-safe: use one
    /// ChunkReader per thread.
    class ChunkReader {
    public:
        explicit ChunkReader(TibArchive& archive) : archive_(archive) {}
        const ByteBuffer& read(const format::VolumeInfo& volume, const format::IndexEntry& entry);

    private:
        TibArchive& archive_;
        ByteBuffer stored_;
        ByteBuffer plain_;
        format::ZstdDecompressor zstd_;
    };

    ByteSource& source() { return *source_; }

private:
    struct Section {
        std::uint32_t volume;
        std::uint64_t entries_offset;  ///< file offset of the first entry
        std::uint32_t entry_size;
        std::uint64_t count;
    };

    std::string where(std::uint64_t offset) const;
    std::vector<std::uint8_t> read_metadata(std::uint64_t offset, format::RecordHeader& header, format::Sha256& digest);
    /// Returns the offset just past the GENR record.
    std::uint64_t read_generation(format::Sha256& digest);
    /// Reads LAYT and TRAK from `offset`; returns where the chunks begin.
    std::uint64_t read_disk_records(format::Sha256& digest, std::uint64_t offset);
    void read_volumes(format::Sha256& digest);
    void read_index(format::Sha256& digest);
    void check_entry(const format::VolumeInfo& volume, const format::IndexEntry& entry, std::uint64_t previous_window,
                     bool first, std::uint64_t offset) const;
    const Section& section(std::uint32_t volume) const;
    format::IndexEntry entry_at(const Section& section, std::uint64_t position);

    std::unique_ptr<ByteSource> source_;
    format::FileHeader header_;
    format::Trailer trailer_;
    nlohmann::json generation_;
    std::optional<std::string> layout_;
    std::optional<std::vector<std::uint8_t>> first_track_;
    std::vector<format::VolumeInfo> volumes_;
    std::vector<Section> sections_;
    std::uint64_t chunks_begin_ = 0;  ///< first byte after the disk metadata records
};

/// A generation and the generations it is based on, newest first; all open and checked.
using Chain = std::vector<TibArchive*>;

}  // namespace dagda::image
