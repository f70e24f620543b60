#pragma once
/// Copying files and folders from one NTFS volume to another, both opened with libntfs-3g: how
/// `windows.restore_files` brings chosen files of a later backup generation (read through the
/// archive, never restored) into a recovered volume.

#include "windows/ntfs/NtfsVolume.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace dagda::windows::ntfs {

/// `from_path` as spelled on `from`, when copy_between_volumes may copy it: Error{failed} when it
/// does not exist, Error{refused} when it is one of NTFS's own files or inside one ($Bitmap,
/// $Extend/$UsnJrnl: is_ntfs_metadata). For a list of paths checked before any is copied.
std::string copyable_path(const NtfsVolume& from, const std::string& from_path);

/// Copies file or folder `from_path` of `from` to `to_path` of `to` (folders with everything
/// below them; missing parent folders are created; existing files are replaced). Returns the
/// number of files written; `copied` is told each one. Each file is read whole, so one larger
/// than `limit` bytes is refused. Throws Error{failed} naming the path when the source does not
/// exist, and Error{refused} when it is NTFS's own metadata (copyable_path), before anything is
/// written; a folder's copy leaves those out (list_directory).
std::uint64_t copy_between_volumes(const NtfsVolume& from, const std::string& from_path, NtfsVolume& to, const std::string& to_path,
                                   std::uint64_t limit, const std::function<void(const std::string&)>& copied);

}  // namespace dagda::windows::ntfs
