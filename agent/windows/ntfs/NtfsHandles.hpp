#pragma once
/// RAII owners of libntfs-3g's per-file handles, one C handle per type, for the files of
/// windows/ntfs only (they include libntfs-3g's headers).

#include "windows/ntfs/Ntfs3g.hpp"

extern "C" {
#include <ntfs-3g/dir.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/unistr.h>
}
#undef min
#undef max

#include <cstdlib>
#include <memory>
#include <string>

namespace dagda::windows::ntfs {

struct InodeCloser {
    void operator()(ntfs_inode* inode) const noexcept { ntfs_inode_close(inode); }
};
/// An open inode; closing it writes its changes to the volume.
using Inode = std::unique_ptr<ntfs_inode, InodeCloser>;

struct AttrCloser {
    void operator()(ntfs_attr* attr) const noexcept { ntfs_attr_close(attr); }
};
/// An open attribute of an inode (the data stream of a file).
using Attr = std::unique_ptr<ntfs_attr, AttrCloser>;

/// A name converted to NTFS's UTF-16 by ntfs_mbstoucs (malloc'd by libntfs-3g).
class NtfsName {
public:
    explicit NtfsName(const std::string& utf8) : units_(nullptr), length_(ntfs_mbstoucs(utf8.c_str(), &units_)) {}
    NtfsName(const NtfsName&) = delete;
    NtfsName& operator=(const NtfsName&) = delete;
    ~NtfsName() { std::free(units_); }
    bool valid() const noexcept { return length_ > 0 && length_ <= 255; }
    ntfschar* units() const noexcept { return units_; }
    u8 length() const noexcept { return static_cast<u8>(length_); }

private:
    ntfschar* units_;
    int length_;
};

}  // namespace dagda::windows::ntfs
