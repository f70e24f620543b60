#include "core/LoopDevice.hpp"

#include "core/Error.hpp"

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dagda {

LoopDevice::LoopDevice(const std::string& backing, std::uint64_t offset, std::uint64_t size, const std::string& name) {
    const UniqueFd file = UniqueFd::open(backing, O_RDWR | O_CLOEXEC);
    const UniqueFd control = UniqueFd::open("/dev/loop-control", O_RDWR | O_CLOEXEC);
    // Another process may take the free device between asking and configuring it: ask again.
    for (int attempt = 0; attempt < 16; ++attempt) {
        const int number = ::ioctl(control.get(), LOOP_CTL_GET_FREE);
        if (number < 0) throw_errno("cannot get a free loop device for " + name);
        const std::string path = "/dev/loop" + std::to_string(number);
        UniqueFd device(::open(path.c_str(), O_RDWR | O_CLOEXEC));
        if (!device) throw_errno("cannot open " + path + " for " + name);
        loop_config config{};
        config.fd = static_cast<std::uint32_t>(file.get());
        config.info.lo_offset = offset;
        config.info.lo_sizelimit = size;
        config.info.lo_flags = LO_FLAGS_AUTOCLEAR;
        if (::ioctl(device.get(), LOOP_CONFIGURE, &config) == 0) {
            path_ = path;
            fd_ = std::move(device);
            return;
        }
        if (errno != EBUSY) throw_errno("cannot attach " + path + " to " + name);
    }
    throw Error(ErrorKind::failed, "cannot attach a loop device to " + name + ": every free one was taken first");
}

LoopDevice::~LoopDevice() {
    // With other openers (udev probing it) the kernel only marks it for autoclear; it then
    // detaches when they close it, so wait for that.
    ::ioctl(fd_.get(), LOOP_CLR_FD);
    fd_ = UniqueFd();
    const std::string attached = "/sys/block/" + path_.substr(path_.rfind('/') + 1) + "/loop/backing_file";
    for (int waited = 0; waited < 500 && ::access(attached.c_str(), F_OK) == 0; ++waited) ::usleep(10000);
}

}  // namespace dagda
