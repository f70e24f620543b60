#pragma once
/// The registry value type numbers, on their own so that the INF parser, which has no business
/// with hivex, names the same REG_* types the hive editor writes.

#include <cstdint>

namespace dagda::windows::registry {

/// The registry value types (winnt.h numbering, as hivex uses it).
enum class ValueType : std::uint32_t {
    none = 0,
    sz = 1,
    expand_sz = 2,
    binary = 3,
    dword = 4,
    dword_big_endian = 5,
    link = 6,
    multi_sz = 7,
    resource_list = 8,
    full_resource_descriptor = 9,
    resource_requirements_list = 10,
    qword = 11,
};

}  // namespace dagda::windows::registry
