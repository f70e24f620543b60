#pragma once
/// Browsing and copying files out of an NTFS volume opened with libntfs-3g.

#include "windows/ntfs/NtfsVolume.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dagda::windows::ntfs {

struct DirectoryEntry {
    std::string name;         ///< the Win32 name (never the 8.3 DOS alias)
    bool is_directory = false;
    std::uint64_t size = 0;   ///< bytes of the unnamed data stream (0 for folders)
};

/// The entries of folder `path` ("/" or "/Windows/System32", '/' or '\' separated), sorted by
/// name, without "." and "..". Throws Error{failed} naming the path when it does not exist or is
/// not a folder.
std::vector<DirectoryEntry> list_directory(const NtfsVolume& volume, const std::string& path);

/// Copies file or folder `path` to `destination` (a folder is copied with everything below it).
/// Returns the number of files written. Refuses names that would leave `destination` ("..", '/').
/// Every file and folder is created new (O_CREAT|O_EXCL|O_NOFOLLOW, mkdir): Error{refused} when
/// something is already there, a symbolic link included, even one pointing nowhere.
std::uint64_t extract(const NtfsVolume& volume, const std::string& path, const std::string& destination);

}  // namespace dagda::windows::ntfs
