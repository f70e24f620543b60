#pragma once
/// CRC-32 (the ISO-HDLC polynomial of zip, PNG and GPT), the one implementation every format here
/// uses: GPT headers and entries, TIB headers and records, the journal's records, a plan's journal
/// name. zlib's, over any length (zlib's own length type is 32 bits on some platforms).

#include <cstddef>
#include <cstdint>

namespace dagda {

/// The CRC-32 of `size` bytes.
std::uint32_t crc32(const void* data, std::size_t size);

/// `crc` (of earlier bytes; 0 for none) continued over `size` more bytes.
std::uint32_t crc32_update(std::uint32_t crc, const void* data, std::size_t size);

}  // namespace dagda
