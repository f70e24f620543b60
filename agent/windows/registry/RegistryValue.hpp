#pragma once
/// A registry value's type and bytes, with the encodings Windows uses: strings are UTF-16LE with a
/// terminating NUL, MULTI_SZ is each string NUL-terminated plus one more NUL, DWORD and QWORD are
/// little-endian.

#include "windows/registry/ValueType.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dagda::windows::registry {

/// "REG_SZ", "REG_DWORD", … for messages and reports.
std::string type_name(ValueType type);

struct RegistryValue {
    ValueType type = ValueType::none;
    std::vector<std::uint8_t> data;

    static RegistryValue sz(const std::string& text);
    static RegistryValue expand_sz(const std::string& text);
    /// Refuses an empty member: Windows reads it as the end of the list.
    static RegistryValue multi_sz(const std::vector<std::string>& texts);
    static RegistryValue dword(std::uint32_t number);
    static RegistryValue qword(std::uint64_t number);
    static RegistryValue binary(std::vector<std::uint8_t> bytes);
    static RegistryValue none(std::vector<std::uint8_t> bytes = {});

    /// The text of an SZ, EXPAND_SZ or LINK value (up to its first NUL); nullopt for other types.
    std::optional<std::string> text() const;
    /// The members of a MULTI_SZ value; nullopt for other types.
    std::optional<std::vector<std::string>> texts() const;
    /// The number of a DWORD (4 bytes) value; nullopt for other types or sizes.
    std::optional<std::uint32_t> number() const;
    std::optional<std::uint64_t> number64() const;

    /// One line for reports: `REG_DWORD 0x00000000 (0)`, `REG_SZ "text"`, `REG_BINARY 01 ff 00 00`.
    std::string describe() const;

    bool operator==(const RegistryValue&) const = default;
};

}  // namespace dagda::windows::registry
