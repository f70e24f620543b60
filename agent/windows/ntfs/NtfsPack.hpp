#pragma once
/// A file or folder of an NTFS volume written as one zip or tar stream (libarchive), for a
/// download that must start before the whole folder is read: the console's "download folder".

#include "windows/ntfs/NtfsVolume.hpp"

#include <cstdint>
#include <string>

namespace dagda::windows::ntfs {

enum class PackFormat {
    /// zip, entries stored (not deflated: the bytes leave as fast as the archive gives them),
    /// ZIP64 where a size needs it; streamed, so sizes follow each entry's data.
    zip,
    /// POSIX pax tar: UTF-8 names of any length, sizes of any size.
    tar,
};

/// "zip" or "tar"; throws Error{usage} for anything else.
PackFormat parse_pack_format(const std::string& text);

/// Writes `path` (a file, or a folder with everything below it) to `fd` as one `format` stream,
/// its entries named from the item's own name down ("Documents/report.txt"; the volume's root is
/// named `root_name`). Returns the number of files. Throws Error{failed} when a read or a write
/// fails: what was written by then is not a whole archive (a zip lacks its directory, a tar its
/// end), so a reader sees it cut.
std::uint64_t pack(const NtfsVolume& volume, const std::string& path, PackFormat format, int fd, const std::string& root_name);

}  // namespace dagda::windows::ntfs
