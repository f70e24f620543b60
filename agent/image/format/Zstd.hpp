#pragma once
/// zstd compression of one frame at a time: one ZSTD_CCtx or ZSTD_DCtx per object, reused across
/// chunks (creating a context per chunk would cost more than compressing a small one).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dagda::image::format {

class ZstdCompressor {
public:
    explicit ZstdCompressor(int level);
    ZstdCompressor(const ZstdCompressor&) = delete;
    ZstdCompressor& operator=(const ZstdCompressor&) = delete;
    ~ZstdCompressor();

    /// One frame holding `size` bytes, with the content size in its header.
    void compress(const std::uint8_t* data, std::size_t size, std::vector<std::uint8_t>& out);
    int level() const noexcept { return level_; }

private:
    void* context_;
    int level_;
};

/// The content size a zstd frame declares, or nullopt when the frame does not say or is not one.
std::optional<std::uint64_t> zstd_frame_content_size(const std::uint8_t* data, std::size_t size);

class ZstdDecompressor {
public:
    ZstdDecompressor();
    ZstdDecompressor(const ZstdDecompressor&) = delete;
    ZstdDecompressor& operator=(const ZstdDecompressor&) = delete;
    ~ZstdDecompressor();

    /// Decompresses one frame that must hold exactly `plain_size` bytes into `out` (room for
    /// `plain_size` bytes); throws Error{failed} naming `where` for a frame that is corrupt,
    /// declares another size, or does not end where the input ends.
    void decompress(const std::uint8_t* data, std::size_t size, std::uint8_t* out, std::size_t plain_size, const std::string& where);

private:
    void* context_;
};

}  // namespace dagda::image::format
