#include "image/capture/VolumeCapture.hpp"

#include "core/Error.hpp"
#include "core/UniqueFd.hpp"
#include "image/format/Zstd.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>

namespace dagda::image {

using namespace format;

namespace {

bool all_zero(const std::uint8_t* data, std::size_t size) {
    // Compare word-wise: this runs over every byte of every volume captured.
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, data + i, 8);
        if (word) return false;
    }
    for (; i < size; ++i)
        if (data[i]) return false;
    return true;
}

// Everything the workers share; one mutex guards the writer, the bitmap and the entries.
struct CaptureState {
    TibWriter& writer;
    const VolumeRange& range;
    const VolumeSpec& spec;
    const CaptureOptions& options;
    VolumeInfo volume;
    std::vector<IndexEntry> entries;
    std::atomic<std::uint64_t> next_window{0};
    std::atomic<std::uint64_t> bytes_done{0};
    std::atomic<bool> failed{false};
    std::mutex mutex;
    std::exception_ptr error;
};

struct WindowWork {
    std::vector<std::uint8_t> raw;
    std::vector<std::uint8_t> plain;
    std::vector<std::uint8_t> stored;
};

void capture_window(CaptureState& s, std::uint64_t window, WindowWork& work, ZstdCompressor* zstd) {
    const VolumeInfo& v = s.volume;
    const std::uint64_t start = window * v.window_size;
    const std::size_t length = static_cast<std::size_t>(std::min<std::uint64_t>(v.window_size, v.volume_size - start));
    work.raw.resize(length);
    read_exact(s.range.fd, work.raw.data(), length, s.range.offset + start, s.range.name);
    std::vector<std::uint8_t> mask(v.mask_size(), 0);
    work.plain.clear();
    const std::uint64_t first_block = window * v.blocks_per_window();
    for (std::uint32_t j = 0; j < v.blocks_per_window() && first_block + j < v.block_count(); ++j) {
        const std::uint64_t block = first_block + j;
        const std::uint8_t* data = work.raw.data() + std::size_t{j} * v.block_size;
        const std::uint32_t block_length = v.block_length(block);
        const bool used = s.spec.used_bitmap ? ((*s.spec.used_bitmap)[block / 8] >> (block % 8)) & 1
                                             : !all_zero(data, block_length);
        if (!used) continue;
        mask[j / 8] |= static_cast<std::uint8_t>(1u << (j % 8));
        work.plain.insert(work.plain.end(), data, data + block_length);
    }
    s.bytes_done += length;
    if (work.plain.empty()) return;
    ChunkHeader chunk;
    chunk.volume = v.number;
    chunk.window = window;
    chunk.plain_length = static_cast<std::uint32_t>(work.plain.size());
    chunk.mask = mask;
    chunk.digest = chunk_digest(v.number, window, v.block_size, mask, work.plain.data(), work.plain.size());
    Sha256 window_hash;
    begin_window_digest(window_hash, v.number, window, v.block_size, mask);
    window_hash.update(work.plain.data(), work.plain.size());
    if (zstd) {
        chunk.compression = 1;
        chunk.level = static_cast<std::uint8_t>(zstd->level());
        zstd->compress(work.plain.data(), work.plain.size(), work.stored);
    }
    const std::vector<std::uint8_t>& stored = zstd ? work.stored : work.plain;
    const auto header = encode_chunk_header(chunk);
    const std::lock_guard<std::mutex> lock(s.mutex);
    const std::uint64_t offset = s.writer.add_chunk(header, stored);
    s.entries.push_back({window, offset, window_hash.finish(), mask});
}

void worker(CaptureState& s) {
    try {
        WindowWork work;
        std::optional<ZstdCompressor> zstd;
        if (s.options.level != 0) zstd.emplace(s.options.level);
        for (std::uint64_t window = s.next_window++; window < s.volume.window_count() && !s.failed; window = s.next_window++)
            capture_window(s, window, work, zstd ? &*zstd : nullptr);
    } catch (...) {
        const std::lock_guard<std::mutex> lock(s.mutex);
        if (!s.error) s.error = std::current_exception();
        s.failed = true;
    }
}

}  // namespace

VolumeIndex capture_volume(TibWriter& writer, const VolumeRange& range, const VolumeSpec& spec,
                           const CaptureOptions& options, const ByteProgress& progress) {
    CaptureState state{writer, range, spec, options, {}, {}, {}, {}, {}, {}, {}};
    VolumeInfo& v = state.volume;
    v.number = spec.number;
    v.block_size = spec.block_size;
    v.volume_size = range.size;
    v.window_size = options.window_size;
    v.first_sector = spec.first_sector;
    v.filesystem = spec.filesystem;
    v.bitmap.assign((v.block_count() + 7) / 8, 0);
    if (spec.used_bitmap && spec.used_bitmap->size() < v.bitmap.size())
        throw Error(ErrorKind::failed, range.name + ": the filesystem's bitmap covers fewer blocks than the volume");
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < std::max(1u, options.threads); ++i) threads.emplace_back(worker, std::ref(state));
    while (!state.failed && state.next_window < v.window_count()) {
        if (progress) progress(state.bytes_done, v.volume_size);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    for (auto& thread : threads) thread.join();
    if (state.error) std::rethrow_exception(state.error);
    if (progress) progress(v.volume_size, v.volume_size);
    std::sort(state.entries.begin(), state.entries.end(), [](const auto& a, const auto& b) { return a.window < b.window; });
    // The bitmap is the union of the windows' masks (windows cover whole mask bytes in order).
    for (const auto& entry : state.entries) {
        const std::uint64_t first = entry.window * v.blocks_per_window();
        for (std::uint32_t j = 0; j < v.blocks_per_window(); ++j)
            if ((entry.present[j / 8] >> (j % 8)) & 1) {
                v.bitmap[(first + j) / 8] |= static_cast<std::uint8_t>(1u << ((first + j) % 8));
                ++v.used_blocks;
            }
    }
    return {v, std::move(state.entries)};
}

}  // namespace dagda::image
