#pragma once
/// GPT partition attribute bits in sfdisk's text form ("RequiredPartition GUID:63").

#include <cstdint>
#include <string>

namespace dagda::disk {

/// sfdisk's spelling of `attrs`: named bits 0–2, then "GUID:n,m" for bits 48–63; "" for none.
std::string format_gpt_attributes(std::uint64_t attrs);

/// Parses sfdisk's spelling (names and "GUID:n" or "GUID:n,m" lists, space or comma separated);
/// throws Error{failed} naming the token it cannot read.
std::uint64_t parse_gpt_attributes(const std::string& text);

}  // namespace dagda::disk
