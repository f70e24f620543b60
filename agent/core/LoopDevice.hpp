#pragma once
/// A loop device over a byte range of a file or block device, for the one program that must see
/// a partition as a whole device (ntfsresize has no offset option). Attached with
/// LO_FLAGS_AUTOCLEAR, so the kernel detaches it when the last descriptor closes: a crash leaves
/// no loop device behind.

#include "core/UniqueFd.hpp"

#include <cstdint>
#include <string>

namespace dagda {

class LoopDevice {
public:
    /// Attaches a free loop device to `size` bytes of `backing` at `offset`. Throws Error{failed}
    /// naming `name` when no loop device can be had (no loop support, not root).
    LoopDevice(const std::string& backing, std::uint64_t offset, std::uint64_t size, const std::string& name);
    LoopDevice(const LoopDevice&) = delete;
    LoopDevice& operator=(const LoopDevice&) = delete;
    /// Detaches the device and waits (up to 5 s) until the kernel no longer lists it as attached:
    /// the next step checks that its disk image is not in use by a loop device.
    ~LoopDevice();

    /// "/dev/loop3": valid while this object lives.
    const std::string& path() const noexcept { return path_; }

private:
    std::string path_;
    UniqueFd fd_;  ///< held open: closing it detaches the device
};

}  // namespace dagda
