#pragma once
/// A registry hive file opened with hivex: one `hive_h` per object, closed in the destructor.
/// Key and value names match case-insensitively (hivex does this, as Windows does). Edits stay in
/// memory until commit() writes the whole hive to a file, marked clean with a fresh checksum.

#include "windows/registry/RegistryValue.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

struct hive_h;

namespace dagda::windows::registry {

/// A key of an open hive (hivex's node offset; valid until the hive is closed or the key deleted).
using KeyId = std::size_t;

class Hive {
public:
    /// Opens `path`; `name` is how messages call the hive ("SYSTEM of /dev/vdb2"). Throws
    /// Error{failed} naming it when the file is not a valid hive (hivex checks the header's
    /// checksum and every block it reaches).
    Hive(const std::string& path, std::string name, bool writable);
    Hive(const Hive&) = delete;
    Hive& operator=(const Hive&) = delete;
    ~Hive();

    const std::string& name() const noexcept { return name_; }
    KeyId root() const;
    std::optional<KeyId> child(KeyId parent, const std::string& name) const;
    /// The key at `path` below the root ("ControlSet001\\Services"; "" is the root), if it exists.
    std::optional<KeyId> find(const std::string& path) const;
    std::optional<KeyId> find(KeyId from, const std::string& path) const;
    /// The key at `path` below `from`, adding the keys that are missing.
    KeyId ensure(KeyId from, const std::string& path);
    std::vector<KeyId> children(KeyId key) const;
    std::string key_name(KeyId key) const;
    /// The key's path from the root, for messages and reports.
    std::string key_path(KeyId key) const;

    /// The value `name` of `key` ("" is the key's default value), if it exists.
    std::optional<RegistryValue> value(KeyId key, const std::string& name) const;
    std::vector<std::pair<std::string, RegistryValue>> values(KeyId key) const;
    /// Adds or replaces the value `name` of `key`.
    void set_value(KeyId key, const std::string& name, const RegistryValue& value);
    /// Removes the value `name` of `key`; false when it did not exist.
    bool delete_value(KeyId key, const std::string& name);
    /// Removes `key` with everything below it. The root cannot be deleted.
    void delete_key(KeyId key);

    /// Writes the hive with every edit to `path` (a new file; the opened file is left alone).
    void commit(const std::string& path);

private:
    [[noreturn]] void fail(const std::string& what) const;

    hive_h* handle_;
    std::string name_;
};

/// Splits a registry path at backslashes, ignoring empty parts ("A\\B\\" → {"A", "B"}).
std::vector<std::string> split_key_path(const std::string& path);

}  // namespace dagda::windows::registry
