#include "integration/hypervisor/LibvirtFixture.hpp"

#include "common/Run.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <sstream>
#include <thread>

#include <sys/stat.h>
#include <unistd.h>

namespace dagda::testing {

namespace {

bool system_libvirt_answers() { return run("virsh -c qemu:///system version > /dev/null 2>&1").exit_code == 0; }

}  // namespace

// Its error text too: run() sends stderr to a file of its own, so "2>&1" here would be undone.
std::string virsh(const std::string& args) {
    const RunResult result = run("virsh -c qemu:///system " + args);
    return result.out + result.err;
}

namespace {

bool daemon_runs(const char* name) { return run(std::string("pgrep -x ") + name + " > /dev/null").exit_code == 0; }

// pkill only asks: a daemon may take seconds to go, and one on its way out still answers. The next
// test must not take it for a running one (it found libvirtd answering with virtlogd already gone,
// and no VM would start).
void stop_daemon(const char* name) {
    run(std::string("pkill -x ") + name);
    for (int i = 0; i < 300 && daemon_runs(name); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

}  // namespace

LibvirtDaemons::LibvirtDaemons() {
    const bool root = ::geteuid() == 0;
    // libvirtd answers without virtlogd, but starts no VM: QEMU's output goes through virtlogd.
    if (root && have_program("virtlogd") && !daemon_runs("virtlogd")) {
        if (std::system("virtlogd -d > /dev/null 2>&1") != 0) return;
        started_virtlogd_ = true;
    }
    if (system_libvirt_answers()) {
        ready_ = true;
        return;
    }
    if (!root || !have_program("libvirtd")) return;
    // No service manager here: the daemons go to the background themselves (-d).
    // Started with their output discarded: a daemon keeps what it inherits open.
    if (std::system("libvirtd -d > /dev/null 2>&1") != 0) return;
    started_libvirtd_ = true;
    for (int i = 0; i < 100 && !ready_; ++i) {
        ready_ = system_libvirt_answers();
        if (!ready_) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

LibvirtDaemons::~LibvirtDaemons() {
    if (started_libvirtd_) stop_daemon("libvirtd");
    if (started_virtlogd_) stop_daemon("virtlogd");
}

TestPool::TestPool(const TempDir& dir) {
    std::random_device random;
    std::ostringstream name;
    name << "dagda-test-" << std::hex << (random() & 0xffffff);
    name_ = name.str();
    folder_ = dir.file("pool");
    std::filesystem::create_directories(folder_);
    // QEMU runs as libvirt-qemu: it must pass through the test's folder to reach the volumes.
    ::chmod(dir.path().c_str(), 0711);
    ::chmod(folder_.c_str(), 0711);
    run("virsh -c qemu:///system pool-create-as " + name_ + " dir --target " + sh_quote(folder_) + " > /dev/null");
}

TestPool::~TestPool() {
    // Every VM the test named with the prefix, and the helper of the hypervisor named as the pool: stopped and undefined (their UEFI variables too).
    std::istringstream names(virsh("list --all --name"));
    for (std::string vm; std::getline(names, vm);)
        if (vm.rfind(name_prefix(), 0) == 0 || vm == "dagda-helper-" + name_) run("virsh -c qemu:///system destroy " + vm + " > /dev/null 2>&1; virsh -c qemu:///system undefine --nvram " + vm + " > /dev/null 2>&1");
    run("virsh -c qemu:///system pool-destroy " + name_ + " > /dev/null 2>&1");
}

}  // namespace dagda::testing
