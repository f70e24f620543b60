#pragma once
/// A byte vector whose resize leaves new bytes uninitialised: for buffers that are filled by a
/// read or a decompression right after they are sized. A reused std::vector<uint8_t> zeroes every
/// byte it grows by, and a chunk reader that grows and shrinks with each chunk's length spent a
/// tenth of a restore's CPU time writing zeros it overwrote at once.

#include <cstdint>
#include <memory>
#include <new>
#include <vector>

namespace dagda {

/// std::allocator, except that value-initialisation (what resize does) constructs nothing.
template <typename T>
struct UninitializedAllocator : std::allocator<T> {
    using value_type = T;
    template <typename U>
    struct rebind {
        using other = UninitializedAllocator<U>;
    };
    UninitializedAllocator() noexcept = default;
    template <typename U>
    UninitializedAllocator(const UninitializedAllocator<U>&) noexcept {}

    template <typename U>
    void construct(U* p) noexcept {
        ::new (static_cast<void*>(p)) U;  // default-initialised: no bytes written for a trivial U
    }
    template <typename U, typename... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};

using ByteBuffer = std::vector<std::uint8_t, UninitializedAllocator<std::uint8_t>>;

}  // namespace dagda
