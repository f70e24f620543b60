#pragma once
/// UTF-8 <-> UTF-16 for the on-disk formats that store names as UTF-16LE (GPT partition names,
/// registry strings, NTFS file names).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dagda {

/// UTF-16 code units of UTF-8 text; throws Error{failed} naming the text when it is not valid UTF-8.
std::vector<std::uint16_t> utf16_units(const std::string& utf8);

/// UTF-8 of `count` UTF-16 code units; an unpaired surrogate becomes U+FFFD (Windows allows them
/// in names, and a reader must not fail on one).
std::string utf8_from_utf16(const std::uint16_t* units, std::size_t count);

/// UTF-8 of UTF-16LE bytes (an odd final byte is ignored), stopping at the first NUL unit.
std::string utf8_from_utf16le(const std::uint8_t* bytes, std::size_t size);

}  // namespace dagda
