#pragma once
/// AddReg sections: `reg-root, [subkey], [value-name], [flags], [value...]` lines turned into
/// typed registry values (INF AddReg directive, learn.microsoft.com).

#include "windows/inf/InfFile.hpp"
#include "windows/registry/ValueType.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dagda::windows::inf {

/// The registry root an AddReg line starts with. HKR means the key of whatever installs the
/// section: the device's software key (DDInstall), its hardware key (.HW),
/// `Services\<svc>` (service-install) or `Services\EventLog\System\<svc>` (event log).
enum class RegRoot { hkcr, hkcu, hklm, hku, hkr };

/// "HKCR", "HKCU", "HKLM", "HKU" or "HKR".
const char* to_string(RegRoot root) noexcept;

/// REG_* numbers, shared with the hive editor.
using ValueType = registry::ValueType;

/// AddReg flag bits other than the type (FLG_ADDREG_*).
namespace addreg_flag {
inline constexpr std::uint32_t noclobber = 0x2;       ///< keep an existing value
inline constexpr std::uint32_t delval = 0x4;          ///< delete the value instead
inline constexpr std::uint32_t append = 0x8;          ///< append to an existing MULTI_SZ
inline constexpr std::uint32_t keyonly = 0x10;        ///< create the key only
inline constexpr std::uint32_t overwriteonly = 0x20;  ///< set only when the value exists
inline constexpr std::uint32_t keyonly_common = 0x2000;
}  // namespace addreg_flag

/// One AddReg line, typed.
struct RegEntry {
    RegRoot root = RegRoot::hkr;
    std::string subkey;                 ///< below the root, '\' separated; "" for the root key
    std::string value_name;             ///< "" for the key's default value
    std::uint32_t flags = 0;            ///< all FLG_ADDREG_* bits as written
    bool key_only = false;              ///< keyonly / keyonly_common: no value is written
    ValueType type = ValueType::sz;     ///< REG_* type (BINVALUETYPE lines carry their own number)
    std::vector<std::string> strings;   ///< SZ and EXPAND_SZ: one string; MULTI_SZ: the members
    std::uint32_t dword = 0;            ///< DWORD (written as a number or as four bytes)
    std::vector<std::uint8_t> bytes;    ///< BINARY, NONE and other binary-written types
    std::string section;                ///< the AddReg section it came from
    unsigned line = 0;
};

/// The entries of every section named by the `AddReg = a, b, ...` lines of `install` (all such
/// lines, in order). Throws inf_error at the referring line for a missing section, and at the
/// entry's line for an unknown root, non-numeric flags, an unknown value type, bad DWORD or byte
/// data, or an undefined %strkey%.
std::vector<RegEntry> add_reg_entries(const InfFile& inf, const InfSection& install);

/// The entries of one AddReg section.
std::vector<RegEntry> read_add_reg_section(const InfFile& inf, const InfSection& section);

}  // namespace dagda::windows::inf
