#pragma once
/// Reading, adding and replacing files of a Windows volume opened read-write with libntfs-3g.
/// Paths are '/' or '\' separated from the volume's root and resolved case-insensitively, the way
/// Windows resolves them: `windows/system32/DRIVERS` finds `Windows\System32\drivers`, and a new
/// file goes into the folder that exists, never into a second `system32` beside `System32`.

#include "windows/ntfs/NtfsVolume.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dagda::windows::ntfs {

/// The path as it is spelled on the volume ("/Windows/System32/config/SYSTEM"), or nullopt when
/// some part of it does not exist.
std::optional<std::string> find_path(const NtfsVolume& volume, const std::string& path);

bool is_folder(const NtfsVolume& volume, const std::string& path);

/// Whether `path` names one of NTFS's own files or something inside one ($Extend/$UsnJrnl):
/// see is_ntfs_metadata(record). False when it does not exist.
bool is_ntfs_metadata(const NtfsVolume& volume, const std::string& path);

/// The size of file `path`, or nullopt when it does not exist (or is a folder).
std::optional<std::uint64_t> file_size(const NtfsVolume& volume, const std::string& path);

/// The whole content of a file; refuses one larger than `limit` bytes (a hive is at most a few
/// hundred MiB; nothing this tool reads should be larger).
std::vector<std::uint8_t> read_file(const NtfsVolume& volume, const std::string& path, std::uint64_t limit);

/// Creates the folders of `path` that are missing (matching existing ones case-insensitively)
/// and returns the path as spelled on the volume.
std::string ensure_folder(NtfsVolume& volume, const std::string& path);

/// Writes `content` to file `path`: replaces the content of an existing file (keeping its
/// security descriptor and attributes) or creates it in its existing folder. Reads it back and
/// throws when the bytes differ. Like ensure_folder and remove_file, refuses (Error{refused}) to
/// touch NTFS's own files.
void write_file(NtfsVolume& volume, const std::string& path, const std::vector<std::uint8_t>& content);

/// Removes file `path`; false when it does not exist.
bool remove_file(NtfsVolume& volume, const std::string& path);

/// Replaces an existing file so that a failure at any point leaves a complete copy: the original
/// is first copied to `<path>.dagda-backup` and read back, then the file is rewritten and read
/// back, and only then is the backup removed. On failure the message names the backup.
void replace_file_safely(NtfsVolume& volume, const std::string& path, const std::vector<std::uint8_t>& content);

}  // namespace dagda::windows::ntfs
