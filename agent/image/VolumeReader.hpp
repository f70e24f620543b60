#pragma once
/// Random access to a volume as a generation would restore it, without restoring it: each read
/// resolves its windows through the chain (newest generation holding a block wins), checks each
/// chunk's digest, and keeps the last few windows decompressed. Unused blocks read as zeros.
/// Not thread-safe.

#include "image/TibArchive.hpp"

#include <cstdint>
#include <list>
#include <memory>
#include <vector>

namespace dagda::image {

class VolumeReader {
public:
    VolumeReader(const Chain& chain, std::uint32_t number);

    std::uint64_t size() const { return volume_.volume_size; }
    /// Copies `length` bytes at `offset`; throws Error{failed} on a damaged chunk or a broken chain.
    void read(std::uint64_t offset, void* buffer, std::size_t length);

private:
    struct Window {
        std::uint64_t index;
        std::vector<std::uint8_t> bytes;
    };
    const std::vector<std::uint8_t>& window(std::uint64_t index);
    void fill(Window& window);

    const Chain& chain_;
    std::uint32_t number_;
    const format::VolumeInfo& volume_;
    std::vector<std::unique_ptr<TibArchive::ChunkReader>> readers_;
    std::list<Window> cache_;  ///< most recent first
};

}  // namespace dagda::image
