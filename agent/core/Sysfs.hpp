#pragma once
/// Small readers for sysfs and procfs attribute files.
///
/// sysfs attributes are one short value with a trailing newline; a missing attribute is normal
/// (a virtio disk has no `device/model`), so these return std::nullopt rather than throw.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace dagda::sysfs {

/// The file's content with surrounding whitespace trimmed, or nullopt when it cannot be read.
std::optional<std::string> read_attr(const std::filesystem::path& path);

/// The attribute parsed as an unsigned integer (decimal, or hex with a 0x prefix), or nullopt.
std::optional<std::uint64_t> read_uint(const std::filesystem::path& path);

/// Name of the file a symlink points at (`driver` → "ahci"), or nullopt when not a link.
std::optional<std::string> link_target_name(const std::filesystem::path& path);

/// Trims ASCII whitespace at both ends.
std::string trim(const std::string& text);

}  // namespace dagda::sysfs
