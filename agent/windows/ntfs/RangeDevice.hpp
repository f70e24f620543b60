#pragma once
/// A libntfs-3g device over a byte range of an open file or block device, so a volume inside a
/// disk image (or, later, inside an archive) can be opened without a loop device or a mount.
/// One `struct ntfs_device` per object; its C callbacks never throw.

#include <cstdint>
#include <functional>
#include <string>

struct ntfs_device;

namespace dagda::windows::ntfs {

/// Reads `length` bytes at `offset` of a volume that is not a file (one inside a backup archive);
/// throws on failure.
using ReadFunction = std::function<void(std::uint64_t offset, void* buffer, std::size_t length)>;

class RangeDevice {
public:
    /// `fd` stays owned by the caller and must outlive the device.
    RangeDevice(int fd, std::uint64_t offset, std::uint64_t size, std::string name, bool writable);
    /// A read-only device whose bytes come from `read`.
    RangeDevice(ReadFunction read, std::uint64_t size, std::string name);
    RangeDevice(const RangeDevice&) = delete;
    RangeDevice& operator=(const RangeDevice&) = delete;
    ~RangeDevice();

    ::ntfs_device* handle() const noexcept { return device_; }
    /// Called once libntfs-3g has mounted the device: ntfs_umount() frees it from then on.
    void release() noexcept { device_ = nullptr; }

    /// Why the last read failed, when `read` threw (libntfs-3g itself only sees EIO).
    const std::string& last_error() const noexcept { return state_.last_error; }

    struct State {
        int fd;
        std::uint64_t offset;
        std::uint64_t size;
        bool writable;
        std::int64_t position = 0;
        ReadFunction read;
        std::string last_error;
    };

private:
    State state_;
    std::string name_;
    ::ntfs_device* device_;
};

}  // namespace dagda::windows::ntfs
