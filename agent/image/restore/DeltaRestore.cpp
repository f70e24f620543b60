#include "image/restore/DeltaRestore.hpp"

#include "core/Error.hpp"
#include "core/Units.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

namespace dagda::image {

using namespace format;

namespace {

bool empty_mask(const std::vector<std::uint8_t>& mask) {
    return std::all_of(mask.begin(), mask.end(), [](std::uint8_t b) { return b == 0; });
}

std::uint64_t bytes_of(const VolumeInfo& v, std::uint64_t window, const std::vector<std::uint8_t>& mask) {
    std::uint64_t bytes = 0;
    for (std::uint32_t j = 0; j < v.blocks_per_window(); ++j)
        if ((mask[j / 8] >> (j % 8)) & 1) bytes += v.block_length(window * v.blocks_per_window() + j);
    return bytes;
}

std::uint64_t blocks_of(const std::vector<std::uint8_t>& mask) {
    std::uint64_t blocks = 0;
    for (const std::uint8_t b : mask) blocks += static_cast<std::uint64_t>(std::popcount(b));
    return blocks;
}

void check_base_index(const Chain& chain, std::size_t base) {
    if (base == 0 || base >= chain.size())
        throw Error(ErrorKind::usage, "a delta restore goes from an older generation of the chain of " + chain.front()->name() +
                                          " to it: generation 1 to " + std::to_string(chain.size() - 1));
}

}  // namespace

VolumeDelta plan_volume_delta(const Chain& chain, std::uint32_t number, std::size_t base) {
    check_base_index(chain, base);
    TibArchive& newest = *chain.front();
    const VolumeInfo& v = newest.volume(number);
    const VolumeInfo& held = chain[base]->volume(number);
    if (held.block_size != v.block_size || held.window_size != v.window_size || held.volume_size != v.volume_size)
        throw Error(ErrorKind::failed, chain[base]->name() + ": volume " + std::to_string(number) + " has another geometry than in " +
                                           newest.name());
    VolumeDelta delta;
    delta.number = number;
    TibArchive::EntryCursor cursor = newest.entries(number);
    while (const auto entry = cursor.next()) {
        ++delta.windows_in_use;
        const auto held_entry = chain[base]->find(number, entry->window);
        if (held_entry && held_entry->window_digest == entry->window_digest) continue;  // same used blocks, same bytes
        // Blocks a newer generation stores may differ from the base's; a block the base did not
        // use holds nothing known. Every other used block restores from the base's own chain.
        std::vector<std::uint8_t> changed(v.mask_size(), 0);
        for (std::size_t g = 0; g < base; ++g) {
            const auto stored = g == 0 ? entry : chain[g]->find(number, entry->window);
            if (!stored || stored->chunk_offset == 0) continue;
            for (std::size_t i = 0; i < changed.size(); ++i) changed[i] |= stored->present[i];
        }
        const std::vector<std::uint8_t> used = v.window_mask(entry->window);
        const std::vector<std::uint8_t> held_used = held.window_mask(entry->window);
        WindowWrite write{entry->window, std::vector<std::uint8_t>(changed.size())};
        for (std::size_t i = 0; i < changed.size(); ++i)
            write.blocks[i] = static_cast<std::uint8_t>(used[i] & (changed[i] | ~held_used[i]));
        if (empty_mask(write.blocks)) continue;  // only blocks the newest no longer uses differ
        delta.blocks += blocks_of(write.blocks);
        delta.bytes += bytes_of(v, entry->window, write.blocks);
        delta.writes.push_back(std::move(write));
    }
    return delta;
}

namespace {

// What the target holds in a window the plan writes.
enum class Held : std::uint8_t { unknown, base, newest, neither };

// Reads and hashes the target's windows of `writes` on `threads` threads (the proof is the delta's
// largest read: every window it writes, before the first write). Stops taking windows past the
// first one that holds neither generation, so the lowest such window is always the one reported.
std::vector<Held> prove_windows(const Chain& chain, std::size_t base, const VolumeDelta& delta, const VolumeRange& target,
                                unsigned threads, const ByteProgress& progress) {
    TibArchive& newest = *chain.front();
    const VolumeInfo& v = newest.volume(delta.number);
    const VolumeInfo& held = chain[base]->volume(delta.number);
    std::vector<Held> verdicts(delta.writes.size(), Held::unknown);
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> first_neither{delta.writes.size()};
    std::atomic<std::uint64_t> done{0};
    std::mutex error_mutex;
    std::exception_ptr error;
    const auto prove = [&] {
        ByteBuffer buffer;
        try {
            for (std::size_t i = next++; i < delta.writes.size() && i < first_neither; i = next++) {
                const std::uint64_t window = delta.writes[i].window;
                // One digest in the common case: a window that holds the base stays in the plan
                // (written again, it ends the same); only one that does not is compared with the
                // newest. A window the base did not use at all has no content to prove.
                const auto held_entry = chain[base]->find(delta.number, window);
                const bool holds_base = !held_entry || target_window_digest(held, window, held.window_mask(window),
                                                                            chain[base]->header().required_features, target,
                                                                            buffer) == held_entry->window_digest;
                const auto newest_entry = holds_base ? std::nullopt : newest.find(delta.number, window);
                const bool holds_newest = newest_entry && target_window_digest(v, window, v.window_mask(window), newest.header().required_features,
                                                                               target, buffer) == newest_entry->window_digest;
                verdicts[i] = holds_base ? Held::base : holds_newest ? Held::newest : Held::neither;
                if (verdicts[i] == Held::neither) {
                    std::size_t lowest = first_neither;
                    while (i < lowest && !first_neither.compare_exchange_weak(lowest, i)) {}
                }
                done += v.window_size;
            }
        } catch (...) {
            const std::lock_guard<std::mutex> lock(error_mutex);
            if (!error) error = std::current_exception();
            first_neither = 0;  // stops every prover
        }
    };
    std::mutex running_mutex;
    std::condition_variable finished;
    unsigned running = std::max(1u, threads);
    std::vector<std::thread> pool;
    for (unsigned i = 0; i < std::max(1u, threads); ++i)
        pool.emplace_back([&] {
            prove();
            const std::lock_guard<std::mutex> lock(running_mutex);
            if (--running == 0) finished.notify_all();
        });
    // This thread reports progress while the others prove; the callback may throw (a job cancelled).
    std::exception_ptr stopped;
    {
        std::unique_lock<std::mutex> lock(running_mutex);
        while (!finished.wait_for(lock, std::chrono::milliseconds(100), [&] { return running == 0; })) {
            if (!progress || stopped) continue;
            try {
                progress(done, delta.writes.size() * v.window_size);
            } catch (...) {
                stopped = std::current_exception();
                first_neither = 0;
            }
        }
    }
    for (std::thread& thread : pool) thread.join();
    if (stopped) std::rethrow_exception(stopped);
    if (error) std::rethrow_exception(error);
    if (progress) progress(done, delta.writes.size() * v.window_size);
    return verdicts;
}

}  // namespace

void check_delta_target(const Chain& chain, std::size_t base, VolumeDelta& delta, const VolumeRange& target, unsigned threads,
                        const ByteProgress& progress) {
    check_base_index(chain, base);
    TibArchive& newest = *chain.front();
    const VolumeInfo& v = newest.volume(delta.number);
    if (target.size < v.volume_size)
        throw Error(ErrorKind::refused, "refusing the delta restore of volume " + std::to_string(delta.number) + " onto " + target.name +
                                            ": it has only " + std::to_string(target.size) + " bytes (nothing was written)");
    const std::vector<Held> verdicts = prove_windows(chain, base, delta, target, threads, progress);
    std::vector<WindowWrite> kept;
    for (std::size_t i = 0; i < delta.writes.size(); ++i) {
        WindowWrite& write = delta.writes[i];
        if (verdicts[i] == Held::base) {
            kept.push_back(std::move(write));
        } else if (verdicts[i] == Held::newest) {
            ++delta.already_written;
            delta.blocks -= blocks_of(write.blocks);
            delta.bytes -= bytes_of(v, write.window, write.blocks);
        } else {
            const std::uint64_t start = write.window * v.window_size;
            throw Error(ErrorKind::refused,
                        "refusing the delta restore onto " + target.name + ": volume " + std::to_string(delta.number) + " window " +
                            std::to_string(write.window) + " (bytes " + std::to_string(start) + " to " +
                            std::to_string(std::min(start + v.window_size, v.volume_size) - 1) + ") holds neither generation " +
                            std::to_string(chain.size() - base) + " (" + chain[base]->name() + ") nor generation " +
                            std::to_string(chain.size()) + " (" + newest.name() + "), so it is not a copy of the older one " +
                            "(written, mounted or grown since?): restore the newer generation in full (nothing was written)");
        }
    }
    delta.writes = std::move(kept);
}

std::string delta_line(const VolumeDelta& delta) {
    std::string line = "volume " + std::to_string(delta.number) + ": " + std::to_string(delta.writes.size()) + " of " +
                       std::to_string(delta.windows_in_use) + " windows, " + std::to_string(delta.blocks) + " blocks (" +
                       human_bytes(delta.bytes) + ") to write";
    if (delta.already_written > 0)
        line += ", " + std::to_string(delta.already_written) + (delta.already_written == 1 ? " window" : " windows") + " written already";
    return line;
}

}  // namespace dagda::image
