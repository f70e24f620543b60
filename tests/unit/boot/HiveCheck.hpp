#pragma once
/// Reading hives back with hivex's own command-line tools (hivexget, hivexsh), so the boot tests
/// check what was written with code this project did not write.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dagda::testing {

/// The bytes hivexget prints for a value: raw bytes for REG_BINARY, text for strings.
std::string hivexget_bytes(const std::string& hive, const std::string& key, const std::string& value);

/// The names of the subkeys of `key` ("" is the root), as hivexsh's `ls` lists them.
std::vector<std::string> hivexsh_subkeys(const std::string& hive, const std::string& key);

/// Every element of a BCD store as hivexget prints its value, by "{object}\\<element id>".
std::map<std::string, std::string> bcd_elements(const std::string& hive);

/// Every value of one key as hivexget prints it, by value name; `names` lists the values wanted.
std::map<std::string, std::string> hivexget_values(const std::string& hive, const std::string& key,
                                                   const std::vector<std::string>& names);

/// Bytes of a string (hivexget output) as a vector, and back.
std::vector<std::uint8_t> as_bytes(const std::string& text);
std::string as_string(const std::vector<std::uint8_t>& bytes);

}  // namespace dagda::testing
