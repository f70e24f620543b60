#pragma once
/// A loop device attached to an image file the test made, detached in the destructor. Tests
/// that need one are tagged [root][loop] and skip cleanly where the machine cannot attach one.

#include <string>

namespace dagda::testing {

class LoopDevice {
public:
    /// Attaches `image`; path() is empty when that is not possible here (not root, no loop support).
    explicit LoopDevice(const std::string& image);
    LoopDevice(const LoopDevice&) = delete;
    LoopDevice& operator=(const LoopDevice&) = delete;
    ~LoopDevice();

    const std::string& path() const noexcept { return path_; }
    explicit operator bool() const noexcept { return !path_.empty(); }

private:
    std::string path_;
};

}  // namespace dagda::testing
