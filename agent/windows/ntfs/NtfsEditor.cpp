#include "windows/ntfs/NtfsEditor.hpp"

#include "core/Error.hpp"
#include "windows/ntfs/NtfsHandles.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

namespace dagda::windows::ntfs {

namespace {

std::vector<std::string> path_parts(const std::string& path) {
    std::vector<std::string> parts;
    std::string part;
    for (const char c : path + "/") {
        if (c != '/' && c != '\\') {
            part += c;
        } else if (!part.empty()) {
            parts.push_back(part);
            part.clear();
        }
    }
    return parts;
}

std::string joined(const std::vector<std::string>& parts, std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i) out += "/" + parts[i];
    return out.empty() ? "/" : out;
}

struct ChildSearch {
    const ntfs_volume* volume;
    const NtfsName* wanted;
    std::string found_name;
    MFT_REF found = 0;
    int matches = 0;
};

// libntfs-3g's C callback: it must not throw; a failed conversion skips the entry.
extern "C" int match_child(void* context, const ntfschar* name, const int name_length, const int name_type,
                           const s64, const MFT_REF mref, const unsigned) {
    auto* search = static_cast<ChildSearch*>(context);
    if (name_type == FILE_NAME_DOS) return 0;  // 8.3 aliases: Windows paths here use long names
    if (!ntfs_names_are_equal(name, static_cast<size_t>(name_length), search->wanted->units(), search->wanted->length(),
                              IGNORE_CASE, search->volume->upcase, search->volume->upcase_len))
        return 0;
    char* text = nullptr;
    if (ntfs_ucstombs(name, name_length, &text, 0) < 0) return 0;
    try {
        search->found_name = text;
    } catch (...) {
        std::free(text);
        return -1;
    }
    std::free(text);
    search->found = mref;
    ++search->matches;
    return 0;
}

/// The child of `folder` named `name` case-insensitively: its spelling and inode. Refuses a
/// folder holding two names that differ only in case (written from Linux): which one Windows
/// uses is not knowable here.
std::optional<std::pair<std::string, Inode>> find_child(const NtfsVolume& volume, ntfs_inode* folder, const std::string& name,
                                                        const std::string& where) {
    const NtfsName wanted(name);
    if (!wanted.valid()) throw Error(ErrorKind::failed, volume.name() + ": \"" + name + "\" is not a valid NTFS name");
    ChildSearch search{volume.handle(), &wanted, {}, 0, 0};
    s64 position = 0;
    errno = 0;
    if (ntfs_readdir(folder, &position, &search, match_child) != 0)
        throw Error(ErrorKind::failed, volume.name() + ": cannot list " + where + ": " + volume.reason(errno));
    if (search.matches == 0) return std::nullopt;
    if (search.matches > 1)
        throw Error(ErrorKind::failed, volume.name() + ": " + where + " holds several entries named \"" + name +
                                           "\" in different cases; refusing to guess which one Windows uses");
    Inode inode(ntfs_inode_open(volume.handle(), MREF(search.found)));
    if (!inode) throw Error(ErrorKind::failed, volume.name() + ": cannot open " + where + "/" + name + ": " + volume.reason(errno));
    return std::make_pair(search.found_name, std::move(inode));
}

struct Resolved {
    std::string spelled;  ///< the path as spelled on the volume
    Inode inode;
    bool metadata = false;  ///< the path names one of NTFS's own files, or passes through one ($Extend)
};

std::optional<Resolved> resolve(const NtfsVolume& volume, const std::string& path) {
    Inode current(ntfs_inode_open(volume.handle(), FILE_root));
    if (!current) throw Error(ErrorKind::failed, volume.name() + ": cannot open the root folder: " + volume.reason(errno));
    std::string spelled;
    bool metadata = false;
    for (const std::string& part : path_parts(path)) {
        auto child = find_child(volume, current.get(), part, spelled.empty() ? "/" : spelled);
        if (!child) return std::nullopt;
        spelled += "/" + child->first;
        current = std::move(child->second);
        metadata = metadata || is_ntfs_metadata(current->mft_no);
    }
    return Resolved{spelled.empty() ? "/" : spelled, std::move(current), metadata};
}

/// Refuses a write into NTFS's own files: libntfs-3g would let $Bitmap or $MFT be truncated and
/// rewritten like any file, and the volume would no longer describe itself.
[[noreturn]] void refuse_metadata(const NtfsVolume& volume, const std::string& spelled) {
    throw Error(ErrorKind::refused, volume.name() + ": " + spelled + " is NTFS's own metadata; refusing to change it");
}

bool directory(const ntfs_inode* inode) { return inode->mrec->flags & MFT_RECORD_IS_DIRECTORY; }

std::vector<std::uint8_t> read_inode(const NtfsVolume& volume, ntfs_inode* inode, const std::string& path, std::uint64_t limit) {
    Attr data(ntfs_attr_open(inode, AT_DATA, AT_UNNAMED, 0));
    if (!data) return {};
    if (static_cast<std::uint64_t>(data->data_size) > limit)
        throw Error(ErrorKind::failed, volume.name() + ": " + path + " is " + std::to_string(data->data_size) +
                                           " bytes, more than the " + std::to_string(limit) + " this file may hold");
    std::vector<std::uint8_t> content(static_cast<std::size_t>(data->data_size));
    errno = 0;
    if (ntfs_attr_pread(data.get(), 0, data->data_size, content.data()) != data->data_size)
        throw Error(ErrorKind::failed, volume.name() + ": cannot read " + path + ": " + volume.reason(errno));
    return content;
}

struct SiblingSearch {
    bool directory;
    MFT_REF found = 0;
};

// libntfs-3g's C callback: no exception can come out of it. Stops at the first entry of the
// wanted kind that is not NTFS's own metadata (MFT records below 24 are reserved).
extern "C" int find_sibling(void* context, const ntfschar*, const int, const int name_type, const s64, const MFT_REF mref,
                            const unsigned dt_type) {
    auto* search = static_cast<SiblingSearch*>(context);
    if (name_type == FILE_NAME_DOS || MREF(mref) < 24) return 0;
    if ((dt_type == NTFS_DT_DIR) != search->directory) return 0;
    search->found = mref;
    return 1;
}

/// The security id a new entry of `folder` gets: that of an existing sibling of the same kind
/// (a driver beside the other drivers gets what they have: SYSTEM and TrustedInstaller, users
/// read-only), else the folder's own. 0 only when neither has one (a volume formatted by mkntfs).
le32 inherited_security_id(const NtfsVolume& volume, ntfs_inode* folder, bool directory) {
    SiblingSearch search{directory};
    s64 position = 0;
    ntfs_readdir(folder, &position, &search, find_sibling);
    if (search.found) {
        const Inode sibling(ntfs_inode_open(volume.handle(), MREF(search.found)));
        if (sibling && sibling->security_id) return sibling->security_id;
    }
    return folder->security_id;
}

/// Replaces the descriptor libntfs-3g gave a new entry with its folder's own (for volumes whose
/// folders keep their descriptor in the entry rather than in $Secure, such as mkntfs's root).
void copy_folder_descriptor(ntfs_inode* folder, ntfs_inode* created) {
    const Attr from(ntfs_attr_open(folder, AT_SECURITY_DESCRIPTOR, AT_UNNAMED, 0));
    const Attr to(ntfs_attr_open(created, AT_SECURITY_DESCRIPTOR, AT_UNNAMED, 0));
    if (!from || !to || from->data_size <= 0 || from->data_size > 65536) return;
    std::vector<std::uint8_t> descriptor(static_cast<std::size_t>(from->data_size));
    if (ntfs_attr_pread(from.get(), 0, from->data_size, descriptor.data()) != from->data_size) return;
    if (ntfs_attr_truncate(to.get(), from->data_size) != 0) return;
    ntfs_attr_pwrite(to.get(), 0, from->data_size, descriptor.data());
}

Inode create_child(NtfsVolume& volume, ntfs_inode* folder, const std::string& name, mode_t type, const std::string& where) {
    const NtfsName unicode(name);
    if (!unicode.valid()) throw Error(ErrorKind::failed, volume.name() + ": \"" + name + "\" is not a valid NTFS name");
    // Never security id 0 where the volume has descriptors: libntfs-3g would then give the new
    // file "Everyone: full control", and any user could replace a boot-start driver.
    const le32 security = inherited_security_id(volume, folder, type == S_IFDIR);
    errno = 0;
    Inode created(ntfs_create(folder, security, unicode.units(), unicode.length(), type));
    if (!created) throw Error(ErrorKind::failed, volume.name() + ": cannot create " + where + ": " + volume.reason(errno));
    if (!security) copy_folder_descriptor(folder, created.get());
    return created;
}

}  // namespace

std::optional<std::string> find_path(const NtfsVolume& volume, const std::string& path) {
    auto resolved = resolve(volume, path);
    if (!resolved) return std::nullopt;
    return resolved->spelled;
}

bool is_ntfs_metadata(const NtfsVolume& volume, const std::string& path) {
    const auto resolved = resolve(volume, path);
    return resolved && resolved->metadata;
}

bool is_folder(const NtfsVolume& volume, const std::string& path) {
    const auto resolved = resolve(volume, path);
    return resolved && directory(resolved->inode.get());
}

std::optional<std::uint64_t> file_size(const NtfsVolume& volume, const std::string& path) {
    const auto resolved = resolve(volume, path);
    if (!resolved || directory(resolved->inode.get())) return std::nullopt;
    Attr data(ntfs_attr_open(resolved->inode.get(), AT_DATA, AT_UNNAMED, 0));
    return data ? static_cast<std::uint64_t>(data->data_size) : 0;
}

std::vector<std::uint8_t> read_file(const NtfsVolume& volume, const std::string& path, std::uint64_t limit) {
    auto resolved = resolve(volume, path);
    if (!resolved) throw Error(ErrorKind::failed, volume.name() + ": " + path + " does not exist");
    if (directory(resolved->inode.get())) throw Error(ErrorKind::failed, volume.name() + ": " + path + " is a folder, not a file");
    return read_inode(volume, resolved->inode.get(), resolved->spelled, limit);
}

std::string ensure_folder(NtfsVolume& volume, const std::string& path) {
    Inode current(ntfs_inode_open(volume.handle(), FILE_root));
    if (!current) throw Error(ErrorKind::failed, volume.name() + ": cannot open the root folder: " + volume.reason(errno));
    std::string spelled;
    for (const std::string& part : path_parts(path)) {
        auto child = find_child(volume, current.get(), part, spelled.empty() ? "/" : spelled);
        if (child && is_ntfs_metadata(child->second->mft_no)) refuse_metadata(volume, spelled + "/" + child->first);
        if (child && !directory(child->second.get()))
            throw Error(ErrorKind::failed, volume.name() + ": " + spelled + "/" + child->first + " is a file, not a folder");
        if (child) {
            spelled += "/" + child->first;
            current = std::move(child->second);
        } else {
            spelled += "/" + part;
            current = create_child(volume, current.get(), part, S_IFDIR, spelled);
        }
    }
    return spelled.empty() ? "/" : spelled;
}

void write_file(NtfsVolume& volume, const std::string& path, const std::vector<std::uint8_t>& content) {
    const std::vector<std::string> parts = path_parts(path);
    if (parts.empty()) throw Error(ErrorKind::failed, volume.name() + ": no file name in \"" + path + "\"");
    auto parent = resolve(volume, joined(parts, parts.size() - 1));
    if (!parent || !directory(parent->inode.get()))
        throw Error(ErrorKind::failed, volume.name() + ": folder " + joined(parts, parts.size() - 1) + " does not exist");
    if (parent->metadata) refuse_metadata(volume, parent->spelled);
    auto existing = find_child(volume, parent->inode.get(), parts.back(), parent->spelled);
    const std::string spelled = (parent->spelled == "/" ? "" : parent->spelled) + "/" + (existing ? existing->first : parts.back());
    if (existing && is_ntfs_metadata(existing->second->mft_no)) refuse_metadata(volume, spelled);
    if (existing && directory(existing->second.get())) throw Error(ErrorKind::failed, volume.name() + ": " + spelled + " is a folder");
    Inode file = existing ? std::move(existing->second) : create_child(volume, parent->inode.get(), parts.back(), S_IFREG, spelled);
    {
        Attr data(ntfs_attr_open(file.get(), AT_DATA, AT_UNNAMED, 0));
        errno = 0;
        if (!data || ntfs_attr_truncate(data.get(), static_cast<s64>(content.size())) != 0)
            throw Error(ErrorKind::failed, volume.name() + ": cannot resize " + spelled + ": " + volume.reason(errno));
        const s64 size = static_cast<s64>(content.size());
        if (size > 0 && ntfs_attr_pwrite(data.get(), 0, size, content.data()) != size)
            throw Error(ErrorKind::failed, volume.name() + ": cannot write " + spelled + ": " + volume.reason(errno));
    }
    // Close the folder before the file: closing the file updates its entry in the folder's index
    // through a fresh inode of the folder, and two open copies of one inode would overwrite each
    // other.
    parent.reset();
    errno = 0;
    if (ntfs_inode_close(file.release()) != 0)
        throw Error(ErrorKind::failed, volume.name() + ": cannot save " + spelled + ": " + volume.reason(errno));
    if (read_file(volume, spelled, content.size()) != content)
        throw Error(ErrorKind::failed, volume.name() + ": " + spelled + " does not read back as written");
}

bool remove_file(NtfsVolume& volume, const std::string& path) {
    const std::vector<std::string> parts = path_parts(path);
    if (parts.empty()) return false;
    auto parent = resolve(volume, joined(parts, parts.size() - 1));
    if (!parent) return false;
    if (parent->metadata) refuse_metadata(volume, parent->spelled);
    auto existing = find_child(volume, parent->inode.get(), parts.back(), parent->spelled);
    if (!existing) return false;
    if (directory(existing->second.get())) throw Error(ErrorKind::failed, volume.name() + ": " + path + " is a folder, not a file");
    const NtfsName name(existing->first);
    const std::string spelled = (parent->spelled == "/" ? "" : parent->spelled) + "/" + existing->first;
    if (is_ntfs_metadata(existing->second->mft_no)) refuse_metadata(volume, spelled);
    errno = 0;
    // ntfs_delete closes both inodes, the file's and the folder's, whatever happens.
    if (ntfs_delete(volume.handle(), spelled.c_str(), existing->second.release(), parent->inode.release(), name.units(),
                    name.length()) != 0)
        throw Error(ErrorKind::failed, volume.name() + ": cannot delete " + path + ": " + volume.reason(errno));
    return true;
}

void replace_file_safely(NtfsVolume& volume, const std::string& path, const std::vector<std::uint8_t>& content) {
    std::string spelled;
    {
        const auto resolved = resolve(volume, path);
        if (!resolved) throw Error(ErrorKind::failed, volume.name() + ": " + path + " does not exist");
        if (resolved->metadata) refuse_metadata(volume, resolved->spelled);  // before its backup is written
        spelled = resolved->spelled;
    }  // its inode closed here: write_file opens the file anew, and two open copies would clash
    const std::string backup = spelled + ".dagda-backup";
    const std::vector<std::uint8_t> original = read_file(volume, spelled, UINT64_MAX);
    write_file(volume, backup, original);  // reads it back
    try {
        write_file(volume, spelled, content);
    } catch (const Error& error) {
        throw Error(ErrorKind::failed, std::string(error.what()) + "; the original is kept in " + backup);
    }
    remove_file(volume, backup);
}

}  // namespace dagda::windows::ntfs
