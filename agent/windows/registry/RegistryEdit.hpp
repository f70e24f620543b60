#pragma once
/// A registry change as data: computed first, printed (the dry run stops there), then applied.
/// Every inoculation and boot fix-up step produces a list of these, so the operator sees each key
/// and value before anything is written, and the report after names what really changed.

#include "windows/registry/Hive.hpp"
#include "windows/registry/RegistryValue.hpp"

#include <optional>
#include <string>
#include <vector>

namespace dagda::windows::registry {

struct RegistryEdit {
    enum class Kind { set_value, delete_value, delete_key };
    Kind kind = Kind::set_value;
    std::string key;                     ///< path below the hive's root, '\\'-separated
    std::string value_name;              ///< set_value, delete_value ("" is the default value)
    RegistryValue value;                 ///< set_value: the new value
    std::optional<RegistryValue> before; ///< the value it replaces or removes, when known
    std::string why;                     ///< a few words for the report ("boot-start the driver")

    static RegistryEdit set(std::string key, std::string name, RegistryValue value, std::string why);
    static RegistryEdit remove_value(std::string key, std::string name, std::string why);
    static RegistryEdit remove_key(std::string key, std::string why);

    /// One line in the future tense for plans: `set ControlSet001\Services\x\Start = REG_DWORD …
    /// (was …)`; `hive_name` prefixes the key ("SYSTEM").
    std::string describe(const std::string& hive_name) const;
};

/// Fills `before` of each edit from the hive and drops edits that would change nothing (a value
/// already set, a value or key already absent), so plans and reports list real changes only.
std::vector<RegistryEdit> effective_edits(const Hive& hive, const std::vector<RegistryEdit>& edits);

/// Applies the edits in order, creating missing keys for set_value.
void apply_edits(Hive& hive, const std::vector<RegistryEdit>& edits);

}  // namespace dagda::windows::registry
