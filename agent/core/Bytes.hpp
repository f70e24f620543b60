#pragma once
/// Little-endian integers in byte buffers: every on-disk format dagda reads or writes (MBR, GPT,
/// TIB) stores them this way, whatever the CPU.

#include <cstddef>
#include <cstdint>
#include <string>

namespace dagda {

/// The little-endian integer of type T at `p`.
template <typename T>
T load_le(const std::uint8_t* p) {
    T value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) value |= static_cast<T>(static_cast<T>(p[i]) << (8 * i));
    return value;
}

/// Stores `value` little-endian at `p`.
template <typename T>
void store_le(std::uint8_t* p, T value) {
    for (std::size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<std::uint8_t>(value >> (8 * i));
}

/// Lower-case hex of `size` bytes (two digits a byte, no separators).
inline std::string to_hex(const std::uint8_t* data, std::size_t size) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * size);
    for (std::size_t i = 0; i < size; ++i) {
        out += digits[data[i] >> 4];
        out += digits[data[i] & 15];
    }
    return out;
}

}  // namespace dagda
