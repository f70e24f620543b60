#include "image/restore/VolumeRestore.hpp"

#include "core/Error.hpp"
#include "core/UniqueFd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <limits>
#include <set>
#include <memory>
#include <mutex>
#include <thread>

namespace dagda::image {

using namespace format;

namespace {

// What the workers share. The cursor over the newest generation's index is the one queue of work.
struct RestoreState {
    RestoreState(const Chain& c, std::uint32_t n, const VolumeRange* t, TibArchive::EntryCursor entries)
        : chain(c), number(n), target(t), cursor(std::move(entries)) {}

    const Chain& chain;
    std::uint32_t number;
    const VolumeRange* target;  ///< null: verify only
    TibArchive::EntryCursor cursor;
    // A delta restore: only these windows, and in each only its blocks (null: every used block).
    const std::vector<WindowWrite>* writes = nullptr;
    std::size_t next_write = 0;
    std::mutex cursor_mutex;
    std::atomic<std::uint64_t> bytes_done{0};
    std::atomic<std::uint64_t> chunks{0};
    std::atomic<bool> failed{false};
    std::atomic<unsigned> running{0};
    std::mutex done_mutex;
    std::condition_variable done;  ///< the last worker to stop wakes the progress loop
    std::mutex error_mutex;
    std::exception_ptr error;
    // Checkpoints: windows taken but not yet written; the lowest of them bounds what is safe.
    const RestoreCheckpoint* checkpoint = nullptr;
    std::set<std::uint64_t> in_flight;
    std::uint64_t next_untaken = 0;
    std::uint64_t finished = 0;
    std::uint64_t last_recorded = 0;
    std::mutex record_mutex;
};

// Flushes the target and records the checkpoint, at most every `every_windows` finished windows.
void maybe_checkpoint(RestoreState& s, bool force) {
    if (!s.checkpoint || !s.target) return;
    // One recorder at a time, the point computed under it: two workers' records cannot cross (the
    // checkpoint file is replaced by a rename) nor go backwards. Workers that find it busy go on.
    std::unique_lock<std::mutex> recording(s.record_mutex, std::defer_lock);
    if (force) recording.lock();
    else if (!recording.try_lock()) return;
    std::uint64_t safe = 0;
    {
        const std::lock_guard<std::mutex> lock(s.cursor_mutex);
        if (!force && s.finished - s.last_recorded < s.checkpoint->every_windows) return;
        s.last_recorded = s.finished;
        safe = s.in_flight.empty() ? s.next_untaken : *s.in_flight.begin();
    }
    if (::fdatasync(s.target->fd) != 0) throw_errno("cannot flush " + s.target->name);
    if (s.checkpoint->record) s.checkpoint->record(safe);
}

// Writes the blocks selected by `take` from a chunk whose data holds the blocks of `present`.
void write_blocks(const RestoreState& s, const VolumeInfo& v, std::uint64_t window, const std::vector<std::uint8_t>& present,
                  const std::vector<std::uint8_t>& take, const ByteBuffer& plain) {
    const std::uint64_t first_block = window * v.blocks_per_window();
    std::size_t data_offset = 0;
    std::uint64_t run_start = 0;
    std::size_t run_data = 0;
    std::size_t run_length = 0;
    const auto flush = [&] {
        if (run_length == 0) return;
        const std::uint64_t at = s.target->offset + run_start;
        write_exact(s.target->fd, plain.data() + run_data, run_length, at, s.target->name);
        // Start writeback now, without waiting for it: the disk works while the CPUs decompress
        // the next windows, and the final fsync has little left to do.
        ::sync_file_range(s.target->fd, static_cast<off_t>(at), static_cast<off_t>(run_length), SYNC_FILE_RANGE_WRITE);
        run_length = 0;
    };
    for (std::uint32_t j = 0; j < v.blocks_per_window(); ++j) {
        if (!((present[j / 8] >> (j % 8)) & 1)) {
            flush();
            continue;
        }
        const std::uint64_t block = first_block + j;
        const std::uint32_t length = v.block_length(block);
        if ((take[j / 8] >> (j % 8)) & 1) {
            if (run_length == 0) {
                run_start = block * v.block_size;
                run_data = data_offset;
            }
            run_length += length;  // contiguous blocks become one write
        } else {
            flush();
        }
        data_offset += length;
    }
    flush();
}

void restore_window(RestoreState& s, const IndexEntry& newest, std::vector<std::uint8_t> need,
                    std::vector<std::unique_ptr<TibArchive::ChunkReader>>& readers) {
    const VolumeInfo& v = s.chain.front()->volume(s.number);
    for (std::size_t g = 0; g < s.chain.size(); ++g) {
        std::optional<IndexEntry> entry = g == 0 ? std::optional<IndexEntry>(newest) : s.chain[g]->find(s.number, newest.window);
        if (!entry || entry->chunk_offset == 0) continue;
        std::vector<std::uint8_t> take(need.size());
        bool any = false;
        for (std::size_t i = 0; i < need.size(); ++i) {
            take[i] = need[i] & entry->present[i];
            need[i] = static_cast<std::uint8_t>(need[i] & ~take[i]);
            any = any || take[i];
        }
        if (!any) continue;
        const VolumeInfo& gv = s.chain[g]->volume(s.number);
        const ByteBuffer& plain = readers[g]->read(gv, *entry);  // digest checked here
        ++s.chunks;
        if (s.target) write_blocks(s, v, newest.window, entry->present, take, plain);
        if (std::all_of(need.begin(), need.end(), [](std::uint8_t b) { return b == 0; })) break;
    }
    if (std::any_of(need.begin(), need.end(), [](std::uint8_t b) { return b != 0; }))
        throw Error(ErrorKind::failed, s.chain.front()->name() + ": volume " + std::to_string(s.number) + " window " +
                                           std::to_string(newest.window) + " has used blocks that no generation of the chain holds");
    s.bytes_done += std::min<std::uint64_t>(v.window_size, v.volume_size - newest.window * v.window_size);
}

// The next window to restore and the blocks it needs; called under cursor_mutex.
std::optional<IndexEntry> next_entry(RestoreState& s, std::vector<std::uint8_t>& need) {
    const VolumeInfo& v = s.chain.front()->volume(s.number);
    if (!s.writes) {
        std::optional<IndexEntry> entry = s.cursor.next();
        if (entry) need = v.window_mask(entry->window);
        return entry;
    }
    if (s.next_write == s.writes->size()) return std::nullopt;
    const WindowWrite& write = (*s.writes)[s.next_write++];
    std::optional<IndexEntry> entry = s.chain.front()->find(s.number, write.window);
    if (!entry)
        throw Error(ErrorKind::failed, s.chain.front()->name() + ": volume " + std::to_string(s.number) + " has no window " +
                                           std::to_string(write.window) + " to restore");
    need = write.blocks;
    return entry;
}

void worker(RestoreState& s) {
    try {
        std::vector<std::unique_ptr<TibArchive::ChunkReader>> readers;
        for (TibArchive* archive : s.chain) readers.push_back(std::make_unique<TibArchive::ChunkReader>(*archive));
        while (!s.failed) {
            std::optional<IndexEntry> entry;
            std::vector<std::uint8_t> need;
            {
                const std::lock_guard<std::mutex> lock(s.cursor_mutex);
                entry = next_entry(s, need);
                if (entry) {
                    s.in_flight.insert(entry->window);
                    s.next_untaken = entry->window + 1;
                } else {
                    s.next_untaken = std::numeric_limits<std::uint64_t>::max();
                }
            }
            if (!entry) break;
            restore_window(s, *entry, std::move(need), readers);
            {
                const std::lock_guard<std::mutex> lock(s.cursor_mutex);
                s.in_flight.erase(entry->window);
                ++s.finished;
            }
            maybe_checkpoint(s, false);
        }
    } catch (...) {
        const std::lock_guard<std::mutex> lock(s.error_mutex);
        if (!s.error) s.error = std::current_exception();
        s.failed = true;
    }
    const std::lock_guard<std::mutex> lock(s.done_mutex);
    if (--s.running == 0) s.done.notify_all();
}

void check_chain(const Chain& chain, std::uint32_t number) {
    const VolumeInfo& v = chain.front()->volume(number);
    for (std::size_t g = 1; g < chain.size(); ++g) {
        const VolumeInfo& base = chain[g]->volume(number);
        if (base.block_size != v.block_size || base.window_size != v.window_size || base.volume_size != v.volume_size)
            throw Error(ErrorKind::failed, chain[g]->name() + ": volume " + std::to_string(number) +
                                               " has another geometry than in " + chain.front()->name());
    }
}

void run(RestoreState& state, unsigned threads, const ByteProgress& progress, std::uint64_t total) {
    std::vector<std::thread> pool;
    state.running = std::max(1u, threads);
    for (unsigned i = 0; i < std::max(1u, threads); ++i) pool.emplace_back(worker, std::ref(state));
    // The progress callback may throw (a job cancelled): stop the workers and join them first.
    std::exception_ptr stopped;
    {
        std::unique_lock<std::mutex> lock(state.done_mutex);
        while (!state.done.wait_for(lock, std::chrono::milliseconds(100), [&] { return state.running == 0; })) {
            if (!progress || stopped) continue;
            try {
                progress(state.bytes_done, total);
            } catch (...) {
                stopped = std::current_exception();
                state.failed = true;
            }
        }
    }
    for (auto& thread : pool) thread.join();
    if (stopped) std::rethrow_exception(stopped);
    if (state.error) std::rethrow_exception(state.error);
    if (progress) progress(total, total);
}

}  // namespace

void restore_volume(const Chain& chain, std::uint32_t number, const VolumeRange& target, unsigned threads,
                    const ByteProgress& progress, const RestoreCheckpoint* checkpoint) {
    check_chain(chain, number);
    const VolumeInfo& v = chain.front()->volume(number);
    if (target.size < v.volume_size)
        throw Error(ErrorKind::refused, "refusing to restore volume " + std::to_string(number) + " (" +
                                            std::to_string(v.volume_size) + " bytes) onto " + target.name + ": it has only " +
                                            std::to_string(target.size) + " bytes (nothing was written)");
    RestoreState state(chain, number, &target, chain.front()->entries(number));
    state.checkpoint = checkpoint;
    if (checkpoint && checkpoint->start_window > 0) {
        state.cursor.skip_to(checkpoint->start_window);
        state.bytes_done = std::min(v.volume_size, checkpoint->start_window * v.window_size);
    }
    run(state, threads, progress, v.volume_size);
    if (::fsync(target.fd) != 0) throw_errno("cannot flush " + target.name);
    maybe_checkpoint(state, true);
}

void restore_windows(const Chain& chain, std::uint32_t number, const std::vector<WindowWrite>& writes, const VolumeRange& target,
                     unsigned threads, const ByteProgress& progress, const RestoreCheckpoint* checkpoint) {
    check_chain(chain, number);
    const VolumeInfo& v = chain.front()->volume(number);
    if (target.size < v.volume_size)
        throw Error(ErrorKind::refused, "refusing to restore volume " + std::to_string(number) + " onto " + target.name + ": it has only " +
                                            std::to_string(target.size) + " bytes (nothing was written)");
    RestoreState state(chain, number, &target, chain.front()->entries(number));
    state.writes = &writes;
    state.checkpoint = checkpoint;
    if (checkpoint && checkpoint->start_window > 0)
        while (state.next_write < writes.size() && writes[state.next_write].window < checkpoint->start_window) ++state.next_write;
    // Progress counts the windows to write, each as a whole window.
    run(state, threads, progress, writes.size() * v.window_size);
    if (::fsync(target.fd) != 0) throw_errno("cannot flush " + target.name);
    maybe_checkpoint(state, true);
}

Digest target_window_digest(const VolumeInfo& v, std::uint64_t window, const std::vector<std::uint8_t>& used_mask,
                            std::uint64_t required_features, const VolumeRange& target, ByteBuffer& buffer) {
    const std::uint64_t start = window * v.window_size;
    buffer.resize(static_cast<std::size_t>(std::min<std::uint64_t>(v.window_size, v.volume_size - start)));
    // Only the used blocks are read, one read per run of them: the digest covers nothing else, and
    // on a sparse image the unused blocks are holes the kernel would fill with zeros to no purpose.
    const std::uint32_t blocks = static_cast<std::uint32_t>((buffer.size() + v.block_size - 1) / v.block_size);
    for (std::uint32_t j = 0; j < blocks;) {
        if (!((used_mask[j / 8] >> (j % 8)) & 1)) {
            ++j;
            continue;
        }
        std::uint32_t end = j + 1;
        while (end < blocks && ((used_mask[end / 8] >> (end % 8)) & 1)) ++end;
        const std::size_t from = std::size_t{j} * v.block_size;
        const std::size_t length = std::min<std::size_t>(std::size_t{end} * v.block_size, buffer.size()) - from;
        read_exact(target.fd, buffer.data() + from, length, target.offset + start + from, target.name);
        j = end;
    }
    Sha256 hash;
    begin_window_digest(hash, v.number, window, v.block_size, used_mask, required_features);
    const std::uint64_t first_block = window * v.blocks_per_window();
    for (std::uint32_t j = 0; j < v.blocks_per_window(); ++j)
        if ((used_mask[j / 8] >> (j % 8)) & 1) hash.update(buffer.data() + std::size_t{j} * v.block_size, v.block_length(first_block + j));
    return hash.finish();
}

void verify_restored(const Chain& chain, std::uint32_t number, const VolumeRange& target, const ByteProgress& progress) {
    TibArchive& newest = *chain.front();
    const VolumeInfo& v = newest.volume(number);
    TibArchive::EntryCursor cursor = newest.entries(number);
    ByteBuffer raw;
    std::uint64_t done = 0;
    while (const auto entry = cursor.next()) {
        const std::uint64_t start = entry->window * v.window_size;
        if (target_window_digest(v, entry->window, v.window_mask(entry->window), newest.header().required_features, target, raw) !=
            entry->window_digest)
            throw Error(ErrorKind::failed, target.name + ": verification failed: window " + std::to_string(entry->window) +
                                               " (bytes " + std::to_string(start) + "+) differs from volume " +
                                               std::to_string(number) + " of " + newest.name());
        done += raw.size();
        if (progress) progress(done, v.volume_size);
    }
}

std::uint64_t verify_volume(const Chain& chain, std::uint32_t number, const ByteProgress& progress) {
    check_chain(chain, number);
    RestoreState state(chain, number, nullptr, chain.front()->entries(number));
    run(state, 2, progress, chain.front()->volume(number).volume_size);
    return state.chunks;
}

}  // namespace dagda::image
