#include "core/Crc32.hpp"

#include <zlib.h>

namespace dagda {

std::uint32_t crc32_update(std::uint32_t crc, const void* data, std::size_t size) {
    return static_cast<std::uint32_t>(::crc32_z(crc, static_cast<const Bytef*>(data), size));
}

std::uint32_t crc32(const void* data, std::size_t size) { return crc32_update(0, data, size); }

}  // namespace dagda
