#pragma once
/// Real libvirt for the hypervisor tests: the system daemons (virtlogd, libvirtd), started by the
/// test when none runs (as root; this machine kind has no service manager) and stopped again,
/// and a transient dir storage pool in the test's folder, destroyed with every VM the test
/// defined. Tests tagged [root] skip cleanly where libvirtd cannot be started.

#include "common/TempDir.hpp"

#include <string>
#include <vector>

namespace dagda::testing {

class LibvirtDaemons {
public:
    LibvirtDaemons();
    LibvirtDaemons(const LibvirtDaemons&) = delete;
    LibvirtDaemons& operator=(const LibvirtDaemons&) = delete;
    ~LibvirtDaemons();
    /// Whether qemu:///system answers (false: not root, or the daemons would not start).
    explicit operator bool() const noexcept { return ready_; }

private:
    bool ready_ = false;
    bool started_libvirtd_ = false;
    bool started_virtlogd_ = false;
};

/// A dir pool named `dagda-test-…` in `dir`, and the VMs named `name_prefix()…` the test makes
/// (and `dagda-helper-NAME`, the helper VM of a hypervisor named as the pool): all of them gone
/// when this ends, whatever the test did.
class TestPool {
public:
    explicit TestPool(const TempDir& dir);
    TestPool(const TestPool&) = delete;
    TestPool& operator=(const TestPool&) = delete;
    ~TestPool();
    const std::string& name() const noexcept { return name_; }
    const std::string& folder() const noexcept { return folder_; }
    /// The prefix of every VM name the test uses ("dagda-test-1a2b3c-").
    std::string name_prefix() const { return name_ + "-"; }

private:
    std::string name_, folder_;
};

/// `virsh -c qemu:///system ARGS`, what it printed (an independent reading of libvirt's state).
std::string virsh(const std::string& args);

}  // namespace dagda::testing
