#include "image/capture/VolumeCapture.hpp"

#include "core/Error.hpp"
#include "core/UniqueFd.hpp"
#include "image/format/Zstd.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <memory>
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
    CaptureState(TibWriter& w, const VolumeRange& r, const VolumeSpec& sp, const CaptureOptions& o)
        : writer(w), range(r), spec(sp), options(o) {}

    TibWriter& writer;
    const VolumeRange& range;
    const VolumeSpec& spec;
    const CaptureOptions& options;
    VolumeInfo volume;
    std::vector<IndexEntry> entries;
    std::vector<std::uint8_t> used;  ///< the volume's used blocks, filled window by window under the mutex
    std::atomic<std::uint64_t> next_window{0};
    std::atomic<std::uint64_t> bytes_done{0};
    std::atomic<bool> failed{false};
    std::mutex mutex;
    std::exception_ptr error;
    unsigned running = 0;              ///< workers still at work (under mutex)
    std::condition_variable done;      ///< the last worker to stop wakes the progress loop
};

struct WindowWork {
    std::vector<std::uint8_t> raw;
    std::vector<std::uint8_t> plain;
    std::vector<std::uint8_t> stored;
};

using BaseReaders = std::vector<std::unique_ptr<TibArchive::ChunkReader>>;

bool any_bit(const std::vector<std::uint8_t>& mask) {
    return std::any_of(mask.begin(), mask.end(), [](std::uint8_t b) { return b != 0; });
}

bool has(const std::vector<std::uint8_t>& mask, std::uint32_t j) { return (mask[j / 8] >> (j % 8)) & 1; }

// The used blocks of a window whose content differs from what the base chain restores for them
// (resolved exactly as a restore resolves them), or that the chain does not hold at all.
std::vector<std::uint8_t> changed_blocks(const CaptureState& s, std::uint64_t window, const std::vector<std::uint8_t>& used,
                                         const Digest& window_digest, const WindowWork& work, BaseReaders& readers) {
    const VolumeInfo& v = s.volume;
    const Chain& chain = *s.spec.base;
    std::vector<std::uint8_t> changed(used.size(), 0);
    std::optional<IndexEntry> entry = chain.front()->find(v.number, window);
    if (entry && entry->window_digest == window_digest) return changed;  // same content: nothing to store
    std::vector<std::uint8_t> unresolved = used;
    const std::uint64_t first_block = window * v.blocks_per_window();
    for (std::size_t g = 0; g < chain.size() && any_bit(unresolved); ++g) {
        if (g > 0) entry = chain[g]->find(v.number, window);
        if (!entry || entry->chunk_offset == 0) continue;
        const ByteBuffer& old = readers[g]->read(chain[g]->volume(v.number), *entry);
        std::size_t at = 0;
        for (std::uint32_t j = 0; j < v.blocks_per_window(); ++j) {
            if (!has(entry->present, j)) continue;
            const std::uint32_t length = v.block_length(first_block + j);
            if (has(unresolved, j)) {
                if (std::memcmp(old.data() + at, work.raw.data() + std::size_t{j} * v.block_size, length) != 0)
                    changed[j / 8] |= static_cast<std::uint8_t>(1u << (j % 8));
                unresolved[j / 8] = static_cast<std::uint8_t>(unresolved[j / 8] & ~(1u << (j % 8)));
            }
            at += length;
        }
    }
    for (std::size_t i = 0; i < changed.size(); ++i) changed[i] |= unresolved[i];
    return changed;
}

// Narrows `plain` (the used blocks, in order) to the blocks of `keep`.
void keep_blocks(const VolumeInfo& v, std::uint64_t window, const std::vector<std::uint8_t>& used,
                 const std::vector<std::uint8_t>& keep, std::vector<std::uint8_t>& plain) {
    const std::uint64_t first_block = window * v.blocks_per_window();
    std::size_t from = 0;
    std::size_t to = 0;
    for (std::uint32_t j = 0; j < v.blocks_per_window(); ++j) {
        if (!has(used, j)) continue;
        const std::uint32_t length = v.block_length(first_block + j);
        if (has(keep, j)) {
            std::memmove(plain.data() + to, plain.data() + from, length);
            to += length;
        }
        from += length;
    }
    plain.resize(to);
}

void capture_window(CaptureState& s, std::uint64_t window, WindowWork& work, ZstdCompressor* zstd, BaseReaders& readers) {
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
    {
        const std::lock_guard<std::mutex> lock(s.mutex);
        for (std::uint32_t j = 0; j < v.blocks_per_window(); ++j)
            if (has(mask, j)) s.used[(first_block + j) / 8] |= static_cast<std::uint8_t>(1u << ((first_block + j) % 8));
    }
    const std::uint64_t features = s.writer.header().required_features;
    Sha256 window_hash;
    begin_window_digest(window_hash, v.number, window, v.block_size, mask, features);
    window_hash.update(work.plain.data(), work.plain.size());
    const Digest window_digest = window_hash.finish();
    std::vector<std::uint8_t> present = mask;
    if (s.spec.base) {
        present = changed_blocks(s, window, mask, window_digest, work, readers);
        if (!any_bit(present)) {
            const std::lock_guard<std::mutex> lock(s.mutex);
            s.entries.push_back({window, 0, window_digest, present});
            return;
        }
        keep_blocks(v, window, mask, present, work.plain);
    }
    ChunkHeader chunk;
    chunk.volume = v.number;
    chunk.window = window;
    chunk.plain_length = static_cast<std::uint32_t>(work.plain.size());
    chunk.mask = present;
    // tib-format.md §6, version 1.1: a chunk of every used block has the window's digest, so its
    // data is hashed once. (A 1.0 chain keeps the 1.0 definitions, and two passes.)
    const bool same_digest = (features & feature_shared_digest) && present == mask;
    chunk.digest = same_digest ? window_digest : chunk_digest(v.number, window, v.block_size, present, work.plain.data(), work.plain.size());
    if (zstd) {
        chunk.compression = 1;
        chunk.level = static_cast<std::uint8_t>(zstd->level());
        zstd->compress(work.plain.data(), work.plain.size(), work.stored);
    }
    const std::vector<std::uint8_t>& stored = zstd ? work.stored : work.plain;
    const auto header = encode_chunk_header(chunk);
    const std::lock_guard<std::mutex> lock(s.mutex);
    const std::uint64_t offset = s.writer.add_chunk(header, stored);
    s.entries.push_back({window, offset, window_digest, present});
}

void worker(CaptureState& s) {
    try {
        WindowWork work;
        BaseReaders readers;
        if (s.spec.base)
            for (TibArchive* archive : *s.spec.base) readers.push_back(std::make_unique<TibArchive::ChunkReader>(*archive));
        std::optional<ZstdCompressor> zstd;
        if (s.options.level != 0) zstd.emplace(s.options.level);
        for (std::uint64_t window = s.next_window++; window < s.volume.window_count() && !s.failed; window = s.next_window++)
            capture_window(s, window, work, zstd ? &*zstd : nullptr, readers);
    } catch (...) {
        const std::lock_guard<std::mutex> lock(s.mutex);
        if (!s.error) s.error = std::current_exception();
        s.failed = true;
    }
    const std::lock_guard<std::mutex> lock(s.mutex);
    if (--s.running == 0) s.done.notify_all();
}

}  // namespace

VolumeIndex capture_volume(TibWriter& writer, const VolumeRange& range, const VolumeSpec& spec,
                           const CaptureOptions& options, const ByteProgress& progress) {
    CaptureState state(writer, range, spec, options);
    VolumeInfo& v = state.volume;
    v.number = spec.number;
    v.block_size = spec.block_size;
    v.volume_size = range.size;
    v.window_size = options.window_size;
    v.first_sector = spec.first_sector;
    v.filesystem = spec.filesystem;
    v.bitmap.assign((v.block_count() + 7) / 8, 0);
    state.used = v.bitmap;
    if (spec.base) {
        const VolumeInfo& base = spec.base->front()->volume(spec.number);
        if (base.block_size != v.block_size || base.window_size != v.window_size || base.volume_size != v.volume_size)
            throw Error(ErrorKind::failed, range.name + ": volume " + std::to_string(spec.number) + " of the base " +
                                               spec.base->front()->name() + " has another size, block size or window size; take a full capture");
    }
    if (spec.used_bitmap && spec.used_bitmap->size() < v.bitmap.size())
        throw Error(ErrorKind::failed, range.name + ": the filesystem's bitmap covers fewer blocks than the volume");
    std::vector<std::thread> threads;
    const unsigned count = std::max(1u, options.threads);  // not state.running: workers decrement it as they end
    state.running = count;
    for (unsigned i = 0; i < count; ++i) threads.emplace_back(worker, std::ref(state));
    {
        std::unique_lock<std::mutex> lock(state.mutex);
        while (!state.done.wait_for(lock, std::chrono::milliseconds(200), [&] { return state.running == 0; })) {
            lock.unlock();
            if (progress) progress(state.bytes_done, v.volume_size);
            lock.lock();
        }
    }
    for (auto& thread : threads) thread.join();
    if (state.error) std::rethrow_exception(state.error);
    if (progress) progress(v.volume_size, v.volume_size);
    std::sort(state.entries.begin(), state.entries.end(), [](const auto& a, const auto& b) { return a.window < b.window; });
    for (std::uint64_t block = 0; block < v.block_count(); ++block)
        if (state.used[block / 8] >> (block % 8) & 1) {
            v.bitmap[block / 8] |= static_cast<std::uint8_t>(1u << (block % 8));
            ++v.used_blocks;
        }
    return {v, std::move(state.entries)};
}

}  // namespace dagda::image
