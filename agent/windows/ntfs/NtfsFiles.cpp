#include "windows/ntfs/NtfsFiles.hpp"

#include "core/Error.hpp"
#include "core/UniqueFd.hpp"
#include "windows/ntfs/Ntfs3g.hpp"

extern "C" {
#include <ntfs-3g/dir.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/unistr.h>
}
#undef min
#undef max

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <memory>
#include <string_view>
#include <sys/stat.h>

namespace dagda::windows::ntfs {

namespace {

struct InodeCloser {
    void operator()(ntfs_inode* inode) const { ntfs_inode_close(inode); }
};
using Inode = std::unique_ptr<ntfs_inode, InodeCloser>;

struct AttrCloser {
    void operator()(ntfs_attr* attr) const { ntfs_attr_close(attr); }
};
using Attr = std::unique_ptr<ntfs_attr, AttrCloser>;

Inode open_path(const NtfsVolume& volume, const std::string& path) {
    errno = 0;
    Inode inode(ntfs_pathname_to_inode(volume.handle(), nullptr, volume_path(path).c_str()));
    if (!inode) throw Error(ErrorKind::failed, volume.name() + ": " + path + ": " + volume.reason(errno));
    return inode;
}

bool is_directory(const ntfs_inode* inode) { return inode->mrec->flags & MFT_RECORD_IS_DIRECTORY; }

std::int64_t modified_time(const ntfs_inode* inode) { return ntfs2timespec(inode->last_data_change_time).tv_sec; }

std::uint64_t data_size(ntfs_inode* inode) {
    Attr data(ntfs_attr_open(inode, AT_DATA, AT_UNNAMED, 0));
    return data ? static_cast<std::uint64_t>(data->data_size) : 0;
}

struct Listing {
    std::vector<std::pair<std::string, MFT_REF>> names;
    bool failed = false;
};

// libntfs-3g's C callback: it must not throw, so allocation failures become a flag.
extern "C" int collect_entry(void* context, const ntfschar* name, const int name_length, const int name_type,
                             const s64, const MFT_REF mref, const unsigned) {
    auto* listing = static_cast<Listing*>(context);
    if (name_type == FILE_NAME_DOS) return 0;  // the 8.3 alias of a name listed anyway
    char* text = nullptr;
    if (ntfs_ucstombs(name, name_length, &text, 0) < 0) return 0;
    try {
        const std::string entry(text);
        if (entry != "." && entry != "..") listing->names.emplace_back(entry, mref);
    } catch (...) {
        listing->failed = true;
    }
    std::free(text);
    return 0;
}

std::vector<std::pair<std::string, MFT_REF>> read_names(const NtfsVolume& volume, ntfs_inode* folder, const std::string& path) {
    Listing listing;
    s64 position = 0;
    errno = 0;
    if (ntfs_readdir(folder, &position, &listing, collect_entry) != 0 || listing.failed)
        throw Error(ErrorKind::failed, volume.name() + ": cannot list " + path + ": " + volume.reason(errno));
    return listing.names;
}

void walk_file(const NtfsVolume& volume, ntfs_inode* inode, const std::string& path, const std::string& relative, TreeSink& sink) {
    Attr data(ntfs_attr_open(inode, AT_DATA, AT_UNNAMED, 0));
    const std::uint64_t size = data ? static_cast<std::uint64_t>(data->data_size) : 0;  // an empty file may have none
    sink.begin_file(relative, size, modified_time(inode));
    std::vector<char> buffer(data ? 1 << 20 : 0);
    for (s64 offset = 0; data && offset < data->data_size;) {
        errno = 0;
        const s64 got = ntfs_attr_pread(data.get(), offset, static_cast<s64>(buffer.size()), buffer.data());
        if (got <= 0) throw Error(ErrorKind::failed, volume.name() + ": cannot read " + path + ": " + volume.reason(errno));
        sink.file_data(buffer.data(), static_cast<std::size_t>(got));
        offset += got;
    }
    sink.end_file();
}

std::uint64_t walk_inode(const NtfsVolume& volume, Inode inode, const std::string& path, const std::string& relative, TreeSink& sink) {
    if (!is_directory(inode.get())) {
        walk_file(volume, inode.get(), path, relative, sink);
        return 1;
    }
    sink.folder(relative, modified_time(inode.get()));
    std::uint64_t files = 0;
    for (const auto& [name, mref] : read_names(volume, inode.get(), path)) {
        // A POSIX-namespace name may hold what Win32 forbids: '\' would climb out of a zip
        // unpacked on Windows as surely as '/' or ".." anywhere.
        if (name.find_first_of("/\\") != std::string::npos || name == "." || name == "..")
            throw Error(ErrorKind::failed, volume.name() + ": " + path + " holds an entry named \"" + name + "\", refused");
        if (is_ntfs_metadata(MREF(mref))) continue;  // $MFT, $Bitmap, …: they describe this volume, not the server's files
        Inode child(ntfs_inode_open(volume.handle(), MREF(mref)));
        if (!child) throw Error(ErrorKind::failed, volume.name() + ": cannot open " + path + "/" + name + ": " + volume.reason(errno));
        files += walk_inode(volume, std::move(child), (path == "/" ? "" : path) + "/" + name, relative.empty() ? name : relative + "/" + name, sink);
    }
    return files;
}

// Extract writes only what it creates: anything already at `destination` - a file, a folder, a
// symbolic link even when it points nowhere - is refused, so nothing is written through a link
// to a place outside the destination or over an existing file.
[[noreturn]] void refuse_existing(const std::string& destination) {
    struct stat status {};
    const bool link = ::lstat(destination.c_str(), &status) == 0 && S_ISLNK(status.st_mode);
    throw Error(ErrorKind::refused, "refusing to write " + destination + ": it exists" + (link ? " (a symbolic link)" : "") +
                                        "; extract into a new path");
}

/// walk() into new files and folders under `destination`.
class FolderSink final : public TreeSink {
public:
    explicit FolderSink(std::string destination) : destination_(std::move(destination)) {}

    void folder(const std::string& relative, std::int64_t) override {
        const std::string target = where(relative);
        if (::mkdir(target.c_str(), 0777) == 0) return;
        if (errno == EEXIST) refuse_existing(target);
        throw_errno("cannot create folder " + target);
    }
    void begin_file(const std::string& relative, std::uint64_t, std::int64_t) override {
        file_ = where(relative);
        offset_ = 0;
        const int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0 && (errno == EEXIST || errno == ELOOP)) refuse_existing(file_);
        if (fd < 0) throw_errno("cannot create " + file_);
        out_ = UniqueFd(fd);
    }
    void file_data(const char* bytes, std::size_t length) override {
        write_exact(out_.get(), bytes, length, offset_, file_);
        offset_ += length;
    }
    void end_file() override { out_ = UniqueFd(); }

private:
    std::string where(const std::string& relative) const { return relative.empty() ? destination_ : destination_ + "/" + relative; }

    std::string destination_;
    std::string file_;
    UniqueFd out_;
    std::uint64_t offset_ = 0;
};

}  // namespace

std::string volume_path(const std::string& path) {
    std::string out = path;
    std::replace(out.begin(), out.end(), '\\', '/');
    if (out.empty() || out.front() != '/') out.insert(out.begin(), '/');
    for (std::size_t start = 1; start <= out.size();) {
        std::size_t end = out.find('/', start);
        if (end == std::string::npos) end = out.size();
        const std::string_view part(out.data() + start, end - start);
        if (part == "." || part == "..")
            throw Error(ErrorKind::usage, "the path " + path + " holds \"" + std::string(part) + "\": name a file or folder inside the volume");
        start = end + 1;
    }
    return out;
}

std::vector<DirectoryEntry> list_directory(const NtfsVolume& volume, const std::string& path) {
    Inode folder = open_path(volume, path);
    if (!is_directory(folder.get())) throw Error(ErrorKind::failed, volume.name() + ": " + path + " is not a folder");
    std::vector<DirectoryEntry> entries;
    for (const auto& [name, mref] : read_names(volume, folder.get(), path)) {
        if (is_ntfs_metadata(MREF(mref))) continue;
        Inode child(ntfs_inode_open(volume.handle(), MREF(mref)));
        if (!child) throw Error(ErrorKind::failed, volume.name() + ": cannot open " + path + "/" + name + ": " + volume.reason(errno));
        const bool folder_entry = is_directory(child.get());
        entries.push_back({name, folder_entry, folder_entry ? 0 : data_size(child.get()), modified_time(child.get())});
    }
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return entries;
}

std::uint64_t walk(const NtfsVolume& volume, const std::string& path, TreeSink& sink) {
    return walk_inode(volume, open_path(volume, path), volume_path(path), "", sink);
}

std::uint64_t extract(const NtfsVolume& volume, const std::string& path, const std::string& destination) {
    // The folders above the destination are the caller's to name; the destination itself and
    // everything below it are created new.
    const std::filesystem::path parent = std::filesystem::path(destination).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    FolderSink sink(destination);
    return walk(volume, path, sink);
}

}  // namespace dagda::windows::ntfs
