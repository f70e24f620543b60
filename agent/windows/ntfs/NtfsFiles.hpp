#pragma once
/// Browsing and copying files out of an NTFS volume opened with libntfs-3g: listing a folder,
/// and walking a file or folder tree into a sink (a new folder on disk, or a zip or tar stream:
/// NtfsPack.hpp).

#include "windows/ntfs/NtfsVolume.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dagda::windows::ntfs {

struct DirectoryEntry {
    std::string name;         ///< the Win32 name (never the 8.3 DOS alias)
    bool is_directory = false;
    std::uint64_t size = 0;   ///< bytes of the unnamed data stream (0 for folders)
    std::int64_t modified = 0;  ///< last change of its data, Unix seconds (UTC)
};

/// `path` with '\' as '/' and a leading '/'. Throws Error{usage} when a part of it is "." or
/// "..": a path names something inside the volume, never a way out of it.
std::string volume_path(const std::string& path);

/// The entries of folder `path` ("/" or "/Windows/System32", '/' or '\' separated), sorted by
/// name, without "." and ".." and without NTFS's own files (is_ntfs_metadata). Throws
/// Error{failed} naming the path when it does not exist or is not a folder.
std::vector<DirectoryEntry> list_directory(const NtfsVolume& volume, const std::string& path);

/// Where walk() puts what it finds. `relative` is "" for the walked item itself, else the path
/// below it ("a", "a/b"), '/' separated; parents always come before their children, and a
/// file's bytes come in order between begin_file and end_file.
class TreeSink {
public:
    virtual ~TreeSink() = default;
    virtual void folder(const std::string& relative, std::int64_t modified) = 0;
    virtual void begin_file(const std::string& relative, std::uint64_t size, std::int64_t modified) = 0;
    virtual void file_data(const char* bytes, std::size_t length) = 0;
    virtual void end_file() = 0;
};

/// Walks file or folder `path` (a folder with everything below it; NTFS's own files of the root,
/// is_ntfs_metadata, left out) into `sink`. Returns the number of files. Throws Error{failed}
/// for an entry whose name holds '/' or '\' or is "." or ".." (it would name a place outside
/// what is copied), and for a read that fails.
std::uint64_t walk(const NtfsVolume& volume, const std::string& path, TreeSink& sink);

/// Copies file or folder `path` to `destination` (a folder is copied with everything below it).
/// Returns the number of files written. Every file and folder is created new
/// (O_CREAT|O_EXCL|O_NOFOLLOW, mkdir): Error{refused} when something is already there, a
/// symbolic link included, even one pointing nowhere.
std::uint64_t extract(const NtfsVolume& volume, const std::string& path, const std::string& destination);

}  // namespace dagda::windows::ntfs
