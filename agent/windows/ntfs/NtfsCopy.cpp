#include "windows/ntfs/NtfsCopy.hpp"

#include "core/Error.hpp"
#include "windows/ntfs/NtfsEditor.hpp"
#include "windows/ntfs/NtfsFiles.hpp"

namespace dagda::windows::ntfs {

namespace {

std::string child(const std::string& folder, const std::string& name) { return (folder == "/" ? "" : folder) + "/" + name; }

std::string parent(const std::string& path) {
    const std::size_t slash = path.find_last_of("/\\");
    return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

/// Copies `spelled` (checked by copyable_path; a folder's entries come from list_directory, which
/// leaves NTFS's own files out) without resolving each path again: a folder's listing already
/// says what each entry is.
std::uint64_t copy_tree(const NtfsVolume& from, const std::string& spelled, bool folder, NtfsVolume& to, const std::string& to_path,
                        std::uint64_t limit, const std::function<void(const std::string&)>& copied) {
    if (!folder) {
        ensure_folder(to, parent(to_path));
        write_file(to, to_path, read_file(from, spelled, limit));
        if (copied) copied(to_path);
        return 1;
    }
    ensure_folder(to, to_path);
    std::uint64_t files = 0;
    for (const DirectoryEntry& entry : list_directory(from, spelled)) {
        if (entry.name.find_first_of("/\\") != std::string::npos)
            throw Error(ErrorKind::failed, from.name() + ": " + spelled + " holds an entry named \"" + entry.name + "\", refused");
        files += copy_tree(from, child(spelled, entry.name), entry.is_directory, to, child(to_path, entry.name), limit, copied);
    }
    return files;
}

}  // namespace

std::string copyable_path(const NtfsVolume& from, const std::string& from_path) {
    const auto spelled = find_path(from, from_path);
    if (!spelled) throw Error(ErrorKind::failed, from.name() + ": " + from_path + " does not exist");
    // $Bitmap, $MFT, … of one volume written over another's would leave it describing the wrong
    // clusters and records.
    if (is_ntfs_metadata(from, *spelled))
        throw Error(ErrorKind::refused, from.name() + ": " + *spelled +
                                            " is NTFS's own metadata, which describes the volume it is on; it is never copied onto another");
    return *spelled;
}

std::uint64_t copy_between_volumes(const NtfsVolume& from, const std::string& from_path, NtfsVolume& to, const std::string& to_path,
                                   std::uint64_t limit, const std::function<void(const std::string&)>& copied) {
    const std::string spelled = copyable_path(from, from_path);
    return copy_tree(from, spelled, is_folder(from, spelled), to, to_path, limit, copied);
}

}  // namespace dagda::windows::ntfs
