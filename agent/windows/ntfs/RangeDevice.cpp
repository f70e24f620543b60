#include "windows/ntfs/RangeDevice.hpp"

#include "core/Error.hpp"
#include "core/UndoJournal.hpp"

#include "windows/ntfs/Ntfs3g.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace dagda::windows::ntfs {

namespace {

using State = RangeDevice::State;

State& state_of(struct ntfs_device* dev) { return *static_cast<State*>(dev->d_private); }

// Clamps a request to the range; libntfs-3g reads past the end only to probe.
s64 clamp(const State& s, s64 count, s64 offset) {
    if (offset < 0 || count < 0) return -1;
    const auto size = static_cast<s64>(s.size);
    if (offset >= size) return 0;
    return std::min(count, size - offset);
}

int range_open(struct ntfs_device* dev, int flags) {
    if ((flags & O_ACCMODE) != O_RDONLY && !state_of(dev).writable) {
        errno = EROFS;
        return -1;
    }
    NDevSetOpen(dev);
    if ((flags & O_ACCMODE) == O_RDONLY) NDevSetReadOnly(dev);
    return 0;
}

int range_close(struct ntfs_device* dev) {
    NDevClearOpen(dev);
    // The last chance to report that writes did not reach the device: sync here, so that
    // NtfsVolume::close() fails instead of an edit being reported done.
    const State& s = state_of(dev);
    return s.writable && s.fd >= 0 ? ::fdatasync(s.fd) : 0;
}

s64 range_seek(struct ntfs_device* dev, s64 offset, int whence) {
    State& s = state_of(dev);
    if (whence == SEEK_SET) s.position = offset;
    else if (whence == SEEK_CUR) s.position += offset;
    else if (whence == SEEK_END) s.position = static_cast<s64>(s.size) + offset;
    else {
        errno = EINVAL;
        return -1;
    }
    return s.position;
}

s64 range_pread(struct ntfs_device* dev, void* buf, s64 count, s64 offset) {
    State& s = state_of(dev);
    const s64 n = clamp(s, count, offset);
    if (n <= 0) return n;
    if (s.read) {
        // No exception may cross into libntfs-3g's C frames: keep the reason, report EIO.
        try {
            s.read(static_cast<std::uint64_t>(offset), buf, static_cast<std::size_t>(n));
            return n;
        } catch (const std::exception& e) {
            s.last_error = e.what();
            errno = EIO;
            return -1;
        }
    }
    const ssize_t got = ::pread(s.fd, buf, static_cast<size_t>(n), static_cast<off_t>(s.offset + static_cast<std::uint64_t>(offset)));
    return got;
}

s64 range_pwrite(struct ntfs_device* dev, const void* buf, s64 count, s64 offset) {
    const State& s = state_of(dev);
    if (!s.writable) {
        errno = EROFS;
        return -1;
    }
    const s64 n = clamp(s, count, offset);
    if (n <= 0) return n;
    const std::uint64_t at = s.offset + static_cast<std::uint64_t>(offset);
    // An undo journal guarding this disk saves what is overwritten first; no exception may
    // cross into libntfs-3g's C frames, so a failure to save is an EIO and no write.
    try {
        guard_write(s.fd, at, static_cast<std::uint64_t>(n));
    } catch (const std::exception&) {
        errno = EIO;
        return -1;
    }
    return ::pwrite(s.fd, buf, static_cast<size_t>(n), static_cast<off_t>(at));
}

s64 range_read(struct ntfs_device* dev, void* buf, s64 count) {
    const s64 n = range_pread(dev, buf, count, state_of(dev).position);
    if (n > 0) state_of(dev).position += n;
    return n;
}

s64 range_write(struct ntfs_device* dev, const void* buf, s64 count) {
    const s64 n = range_pwrite(dev, buf, count, state_of(dev).position);
    if (n > 0) state_of(dev).position += n;
    return n;
}

int range_sync(struct ntfs_device* dev) { return state_of(dev).writable && state_of(dev).fd >= 0 ? ::fdatasync(state_of(dev).fd) : 0; }

int range_stat(struct ntfs_device* dev, struct stat* buf) {
    std::memset(buf, 0, sizeof *buf);
    buf->st_mode = S_IFREG;  // a file: libntfs-3g then asks no block-device ioctls
    buf->st_size = static_cast<off_t>(state_of(dev).size);
    return 0;
}

int range_ioctl(struct ntfs_device*, unsigned long, void*) {
    errno = ENOTTY;
    return -1;
}

struct ntfs_device_operations range_operations = {range_open,   range_close,  range_seek, range_read, range_write,
                                                   range_pread,  range_pwrite, range_sync, range_stat, range_ioctl};

}  // namespace

RangeDevice::RangeDevice(int fd, std::uint64_t offset, std::uint64_t size, std::string name, bool writable)
    : state_{fd, offset, size, writable, 0, {}, {}}, name_(std::move(name)),
      device_(ntfs_device_alloc(name_.c_str(), 0, &range_operations, &state_)) {
    if (!device_) throw Error(ErrorKind::failed, "libntfs-3g: cannot allocate a device for " + name_);
}

RangeDevice::RangeDevice(ReadFunction read, std::uint64_t size, std::string name)
    : state_{-1, 0, size, false, 0, std::move(read), {}}, name_(std::move(name)),
      device_(ntfs_device_alloc(name_.c_str(), 0, &range_operations, &state_)) {
    if (!device_) throw Error(ErrorKind::failed, "libntfs-3g: cannot allocate a device for " + name_);
}

RangeDevice::~RangeDevice() {
    // ntfs_umount frees the device it was mounted on; a device never mounted is ours to free.
    if (device_) ntfs_device_free(device_);
}

}  // namespace dagda::windows::ntfs
