#include "image/VolumeReader.hpp"

#include "core/Error.hpp"

#include <algorithm>
#include <cstring>

namespace dagda::image {

using namespace format;

namespace {

constexpr std::size_t cached_windows = 8;  // NTFS metadata reads jump around; 8 MiB keeps them cheap

bool has(const std::vector<std::uint8_t>& mask, std::uint32_t j) { return (mask[j / 8] >> (j % 8)) & 1; }

}  // namespace

VolumeReader::VolumeReader(const Chain& chain, std::uint32_t number)
    : chain_(chain), number_(number), volume_(chain.front()->volume(number)) {
    for (TibArchive* archive : chain_) readers_.push_back(std::make_unique<TibArchive::ChunkReader>(*archive));
}

void VolumeReader::read(std::uint64_t offset, void* buffer, std::size_t length) {
    if (offset > volume_.volume_size || length > volume_.volume_size - offset)
        throw Error(ErrorKind::failed, chain_.front()->name() + ": read past the end of volume " + std::to_string(number_));
    auto* out = static_cast<std::uint8_t*>(buffer);
    while (length > 0) {
        const std::uint64_t index = offset / volume_.window_size;
        const std::uint64_t within = offset % volume_.window_size;
        const std::vector<std::uint8_t>& bytes = window(index);
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(length, bytes.size() - within));
        std::memcpy(out, bytes.data() + within, n);
        out += n;
        offset += n;
        length -= n;
    }
}

const std::vector<std::uint8_t>& VolumeReader::window(std::uint64_t index) {
    for (auto it = cache_.begin(); it != cache_.end(); ++it)
        if (it->index == index) {
            cache_.splice(cache_.begin(), cache_, it);
            return cache_.front().bytes;
        }
    // The evicted window's buffer is filled anew: a fresh one of window_size would cost a page
    // fault per 4 KiB on every window read (a third of a folder download's time, measured).
    std::vector<std::uint8_t> recycled;
    if (cache_.size() >= cached_windows) {
        recycled = std::move(cache_.back().bytes);
        cache_.pop_back();
    }
    cache_.push_front({index, std::move(recycled)});
    try {
        fill(cache_.front());
    } catch (...) {
        cache_.pop_front();  // never keep a half-filled window
        throw;
    }
    return cache_.front().bytes;
}

void VolumeReader::fill(Window& w) {
    const std::uint64_t start = w.index * volume_.window_size;
    w.bytes.assign(static_cast<std::size_t>(std::min<std::uint64_t>(volume_.window_size, volume_.volume_size - start)), 0);
    std::vector<std::uint8_t> need = volume_.window_mask(w.index);
    const std::uint64_t first_block = w.index * volume_.blocks_per_window();
    for (std::size_t g = 0; g < chain_.size() && std::any_of(need.begin(), need.end(), [](auto b) { return b != 0; }); ++g) {
        const auto entry = chain_[g]->find(number_, w.index);
        if (!entry || entry->chunk_offset == 0) continue;
        const ByteBuffer& data = readers_[g]->read(chain_[g]->volume(number_), *entry);
        std::size_t at = 0;
        for (std::uint32_t j = 0; j < volume_.blocks_per_window(); ++j) {
            if (!has(entry->present, j)) continue;
            const std::uint32_t length = volume_.block_length(first_block + j);
            if (has(need, j)) {
                std::memcpy(w.bytes.data() + std::size_t{j} * volume_.block_size, data.data() + at, length);
                need[j / 8] = static_cast<std::uint8_t>(need[j / 8] & ~(1u << (j % 8)));
            }
            at += length;
        }
    }
    if (std::any_of(need.begin(), need.end(), [](auto b) { return b != 0; }))
        throw Error(ErrorKind::failed, chain_.front()->name() + ": volume " + std::to_string(number_) + " window " +
                                           std::to_string(w.index) + " has used blocks that no generation of the chain holds");
}

}  // namespace dagda::image
