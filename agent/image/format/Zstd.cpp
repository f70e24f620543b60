#include "image/format/Zstd.hpp"

#include "core/Error.hpp"

#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_getCParams
#include <zstd.h>

namespace dagda::image::format {

ZstdCompressor::ZstdCompressor(int level) : context_(ZSTD_createCCtx()), level_(level) {
    if (!context_) throw Error(ErrorKind::failed, "zstd: out of memory for a compression context");
    const size_t rc = ZSTD_CCtx_setParameter(static_cast<ZSTD_CCtx*>(context_), ZSTD_c_compressionLevel, level);
    if (ZSTD_isError(rc)) {
        ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(context_));
        throw Error(ErrorKind::usage, "zstd level " + std::to_string(level) + " is not valid: " + ZSTD_getErrorName(rc));
    }
    // The fast strategies (levels up to 4) size their match tables for a long stream. A capture
    // compresses independent windows of a few MiB, and one more bit of hash and chain table there
    // finds enough more matches to win back what the independent windows cost against one long
    // stream: measured on the bench volume at level 3, 0.3% smaller for 15% more compression CPU
    // (zstd's block splitter won as much for 70% more). Only the encoder's choices change: any
    // zstd decoder reads the frames, and their window size stays the level's.
    auto* context = static_cast<ZSTD_CCtx*>(context_);
    const ZSTD_compressionParameters level_params = ZSTD_getCParams(level, 0, 0);
    if (level_params.strategy <= ZSTD_dfast) {
        ZSTD_CCtx_setParameter(context, ZSTD_c_hashLog, static_cast<int>(level_params.hashLog) + 1);
        if (level_params.strategy == ZSTD_dfast)
            ZSTD_CCtx_setParameter(context, ZSTD_c_chainLog, static_cast<int>(level_params.chainLog) + 1);
    }
}

ZstdCompressor::~ZstdCompressor() { ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(context_)); }

void ZstdCompressor::compress(const std::uint8_t* data, std::size_t size, std::vector<std::uint8_t>& out) {
    out.resize(ZSTD_compressBound(size));
    const size_t written = ZSTD_compress2(static_cast<ZSTD_CCtx*>(context_), out.data(), out.size(), data, size);
    if (ZSTD_isError(written)) throw Error(ErrorKind::failed, std::string("zstd: compression failed: ") + ZSTD_getErrorName(written));
    out.resize(written);
}

std::optional<std::uint64_t> zstd_frame_content_size(const std::uint8_t* data, std::size_t size) {
    const unsigned long long declared = ZSTD_getFrameContentSize(data, size);
    if (declared == ZSTD_CONTENTSIZE_UNKNOWN || declared == ZSTD_CONTENTSIZE_ERROR) return std::nullopt;
    return declared;
}

ZstdDecompressor::ZstdDecompressor() : context_(ZSTD_createDCtx()) {
    if (!context_) throw Error(ErrorKind::failed, "zstd: out of memory for a decompression context");
}

ZstdDecompressor::~ZstdDecompressor() { ZSTD_freeDCtx(static_cast<ZSTD_DCtx*>(context_)); }

void ZstdDecompressor::decompress(const std::uint8_t* data, std::size_t size, std::uint8_t* out, std::size_t plain_size,
                                  const std::string& where) {
    const unsigned long long declared = ZSTD_getFrameContentSize(data, size);
    if (declared != plain_size)
        throw Error(ErrorKind::failed, where + ": compressed data is corrupt (its frame does not declare " +
                                           std::to_string(plain_size) + " bytes)");
    if (ZSTD_findFrameCompressedSize(data, size) != size)
        throw Error(ErrorKind::failed, where + ": compressed data is corrupt (the frame does not fill the chunk)");
    const size_t got = ZSTD_decompressDCtx(static_cast<ZSTD_DCtx*>(context_), out, plain_size, data, size);
    if (ZSTD_isError(got) || got != plain_size)
        throw Error(ErrorKind::failed, where + ": compressed data is corrupt (" +
                                           (ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short output") + ")");
}

}  // namespace dagda::image::format
