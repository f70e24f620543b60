#include "windows/registry/Hive.hpp"

#include "core/Error.hpp"

#include <hivex.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <strings.h>
#include <memory>

namespace dagda::windows::registry {

namespace {

/// hivex returns malloc'd buffers and arrays.
struct FreeDeleter {
    void operator()(void* p) const noexcept { std::free(p); }
};
template <typename T>
using Malloced = std::unique_ptr<T, FreeDeleter>;

}  // namespace

std::vector<std::string> split_key_path(const std::string& path) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t end = std::min(path.find('\\', start), path.size());
        if (end > start) parts.push_back(path.substr(start, end - start));
        start = end + 1;
    }
    return parts;
}

Hive::Hive(const std::string& path, std::string name, bool writable) : handle_(nullptr), name_(std::move(name)) {
    errno = 0;
    handle_ = hivex_open(path.c_str(), writable ? HIVEX_OPEN_WRITE : 0);
    if (!handle_) {
        const int saved = errno;
        throw Error(ErrorKind::failed, name_ + " is not a valid registry hive (hivex: " +
                                           (saved ? std::strerror(saved) : "unreadable") + ")");
    }
}

Hive::~Hive() { hivex_close(handle_); }

void Hive::fail(const std::string& what) const {
    const int saved = errno;
    throw Error(ErrorKind::failed, name_ + ": " + what + (saved ? std::string(" (") + std::strerror(saved) + ")" : ""));
}

KeyId Hive::root() const {
    errno = 0;
    const hive_node_h node = hivex_root(handle_);
    if (!node) fail("the hive has no root key");
    return node;
}

std::optional<KeyId> Hive::child(KeyId parent, const std::string& name) const {
    errno = 0;
    const hive_node_h node = hivex_node_get_child(handle_, parent, name.c_str());
    if (node) return node;
    if (errno) fail("cannot read the subkeys of " + key_path(parent));
    return std::nullopt;
}

std::optional<KeyId> Hive::find(const std::string& path) const { return find(root(), path); }

std::optional<KeyId> Hive::find(KeyId from, const std::string& path) const {
    KeyId key = from;
    for (const std::string& part : split_key_path(path)) {
        const auto next = child(key, part);
        if (!next) return std::nullopt;
        key = *next;
    }
    return key;
}

KeyId Hive::ensure(KeyId from, const std::string& path) {
    KeyId key = from;
    for (const std::string& part : split_key_path(path)) {
        if (const auto next = child(key, part)) {
            key = *next;
            continue;
        }
        errno = 0;
        const hive_node_h added = hivex_node_add_child(handle_, key, part.c_str());
        if (!added) fail("cannot add key " + part + " under " + key_path(key));
        key = added;
    }
    return key;
}

std::vector<KeyId> Hive::children(KeyId key) const {
    errno = 0;
    Malloced<hive_node_h> list(hivex_node_children(handle_, key));
    if (!list) fail("cannot read the subkeys of " + key_path(key));
    std::vector<KeyId> out;
    for (const hive_node_h* p = list.get(); *p; ++p) out.push_back(*p);
    return out;
}

std::string Hive::key_name(KeyId key) const {
    errno = 0;
    Malloced<char> name(hivex_node_name(handle_, key));
    if (!name) fail("cannot read a key's name");
    return name.get();
}

std::string Hive::key_path(KeyId key) const {
    std::string path;
    const KeyId top = hivex_root(handle_);
    for (KeyId k = key; k && k != top; k = hivex_node_parent(handle_, k)) {
        Malloced<char> name(hivex_node_name(handle_, k));
        path = std::string(name ? name.get() : "?") + (path.empty() ? "" : "\\" + path);
    }
    return path.empty() ? "the root key" : path;
}

std::optional<RegistryValue> Hive::value(KeyId key, const std::string& name) const {
    errno = 0;
    const hive_value_h handle = hivex_node_get_value(handle_, key, name.c_str());
    if (!handle) {
        if (errno) fail("cannot read the values of " + key_path(key));
        return std::nullopt;
    }
    hive_type type{};
    std::size_t length = 0;
    Malloced<char> data(hivex_value_value(handle_, handle, &type, &length));
    if (!data) fail("cannot read value " + name + " of " + key_path(key));
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(data.get());
    return RegistryValue{static_cast<ValueType>(type), std::vector<std::uint8_t>(bytes, bytes + length)};
}

std::vector<std::pair<std::string, RegistryValue>> Hive::values(KeyId key) const {
    errno = 0;
    Malloced<hive_value_h> list(hivex_node_values(handle_, key));
    if (!list) fail("cannot read the values of " + key_path(key));
    std::vector<std::pair<std::string, RegistryValue>> out;
    for (const hive_value_h* p = list.get(); *p; ++p) {
        Malloced<char> name(hivex_value_key(handle_, *p));
        hive_type type{};
        std::size_t length = 0;
        Malloced<char> data(hivex_value_value(handle_, *p, &type, &length));
        if (!name || !data) fail("cannot read the values of " + key_path(key));
        const auto* bytes = reinterpret_cast<const std::uint8_t*>(data.get());
        out.emplace_back(name.get(), RegistryValue{static_cast<ValueType>(type), std::vector<std::uint8_t>(bytes, bytes + length)});
    }
    return out;
}

void Hive::set_value(KeyId key, const std::string& name, const RegistryValue& value) {
    std::vector<std::uint8_t> data = value.data;  // hivex takes non-const pointers
    std::string key_name_copy = name;
    hive_set_value set{key_name_copy.data(), static_cast<hive_type>(value.type), data.size(),
                       reinterpret_cast<char*>(data.data())};
    errno = 0;
    if (hivex_node_set_value(handle_, key, &set, 0) != 0) fail("cannot set value " + name + " of " + key_path(key));
}

bool Hive::delete_value(KeyId key, const std::string& name) {
    auto all = values(key);
    std::vector<std::pair<std::string, RegistryValue>> kept;
    for (auto& entry : all)
        if (strcasecmp(entry.first.c_str(), name.c_str()) != 0) kept.push_back(std::move(entry));
    if (kept.size() == all.size()) return false;
    // hivex has no call to remove one value: it replaces the key's whole value list.
    std::vector<hive_set_value> sets;
    for (auto& [value_name, value] : kept)
        sets.push_back({value_name.data(), static_cast<hive_type>(value.type), value.data.size(),
                        reinterpret_cast<char*>(value.data.data())});
    errno = 0;
    if (hivex_node_set_values(handle_, key, sets.size(), sets.data(), 0) != 0)
        fail("cannot remove value " + name + " of " + key_path(key));
    return true;
}

void Hive::delete_key(KeyId key) {
    if (key == root()) throw Error(ErrorKind::failed, name_ + ": the root key cannot be deleted");
    const std::string path = key_path(key);
    errno = 0;
    if (hivex_node_delete_child(handle_, key) != 0) fail("cannot delete key " + path);
}

void Hive::commit(const std::string& path) {
    errno = 0;
    if (hivex_commit(handle_, path.c_str(), 0) != 0) fail("cannot write the edited hive to " + path);
}

}  // namespace dagda::windows::registry
