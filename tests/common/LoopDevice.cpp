#include "common/LoopDevice.hpp"

#include "common/Run.hpp"

#include <unistd.h>

namespace dagda::testing {

LoopDevice::LoopDevice(const std::string& image) {
    if (::geteuid() != 0 || ::access("/dev/loop-control", F_OK) != 0) return;
    const RunResult result = run("losetup --find --show " + sh_quote(image));
    if (result.exit_code != 0) return;
    path_ = result.out.substr(0, result.out.find('\n'));
    // Only ever a loop device we just attached to our own file.
    if (path_.rfind("/dev/loop", 0) != 0) path_.clear();
}

LoopDevice::~LoopDevice() {
    if (!path_.empty()) run("losetup -d " + sh_quote(path_));
}

}  // namespace dagda::testing
