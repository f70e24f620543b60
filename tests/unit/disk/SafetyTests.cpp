// Safety checks against fake sysfs/procfs trees (a test cannot safely mount or swap on a real
// disk), plus identity read from a fake sysfs for a real loop device.

#include "core/Error.hpp"
#include "disk/DiskReport.hpp"
#include "disk/Safety.hpp"

#include "common/LoopDevice.hpp"
#include "common/Run.hpp"
#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <fstream>

using dagda::Error;
using dagda::ErrorKind;
using namespace dagda::disk;
namespace fs = std::filesystem;

namespace {

// sdb (8:16) with one partition sdb1 (8:17), as the kernel lays it out in sysfs.
struct FakeMachine {
    dagda::testing::TempDir dir;
    SystemRoots roots{dir.path() / "sys", dir.path() / "dev", dir.path() / "proc"};
    TargetInfo target;

    FakeMachine() {
        const fs::path sdb = roots.sys / "block" / "sdb";
        fs::create_directories(sdb / "holders");
        fs::create_directories(sdb / "sdb1" / "holders");
        dagda::testing::write_file(sdb / "sdb1" / "partition", "1\n");
        dagda::testing::write_file(sdb / "sdb1" / "dev", "8:17\n");
        fs::create_directories(roots.sys / "dev" / "block");
        fs::create_directory_symlink("../../block/sdb", roots.sys / "dev" / "block" / "8:16");
        dagda::testing::write_file(roots.proc / "self" / "mountinfo", "22 1 0:21 / /proc rw - proc proc rw\n");
        dagda::testing::write_file(roots.proc / "swaps", "Filename\tType\tSize\tUsed\tPriority\n");
        target.path = dagda::testing::make_image(dir, "disk.raw", 1 << 20);
        target.is_block_device = true;  // the checks read sysfs/procfs; the file stands in for the node
        target.devno = makedev(8, 16);
        target.kernel_name = "sdb";
        target.size_bytes = 1 << 20;
    }
};

std::string refusal(const TargetInfo& target, const SystemRoots& roots) {
    try {
        check_not_in_use(target, roots);
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::refused);
        return e.what();
    }
    return "not refused";
}

}  // namespace

TEST_CASE("Safety: a disk nobody uses passes", "[disk][safety]") {
    FakeMachine m;
    CHECK_NOTHROW(check_not_in_use(m.target, m.roots));
}

TEST_CASE("Safety: a disk whose partition holds the running system is refused", "[disk][safety]") {
    FakeMachine m;
    dagda::testing::write_file(m.roots.proc / "self" / "mountinfo", "36 25 8:17 / / rw,relatime shared:1 - ext4 /dev/sdb1 rw\n");
    CHECK_THAT(refusal(m.target, m.roots), Catch::Contains("/dev/sdb1 is mounted on /"));
}

TEST_CASE("Safety: a disk held by device-mapper is refused", "[disk][safety]") {
    FakeMachine m;
    dagda::testing::write_file(m.roots.sys / "block" / "sdb" / "sdb1" / "holders" / "dm-0", "");
    CHECK_THAT(refusal(m.target, m.roots), Catch::Contains("/dev/sdb1 is held by dm-0"));
}

TEST_CASE("Safety: a disk used as swap is refused", "[disk][safety]") {
    struct stat st {};
    if (::stat("/dev/loop0", &st) != 0 || !S_ISBLK(st.st_mode)) {
        WARN("skipped: needs the /dev/loop0 node to stand for a swap device");
        return;
    }
    FakeMachine m;
    m.target.devno = st.st_rdev;  // only stat()ed, never opened
    m.target.kernel_name = "loop0";
    fs::create_directories(m.roots.sys / "block" / "loop0" / "holders");
    fs::create_directory_symlink("../../block/loop0", m.roots.sys / "dev" / "block" /
                                                          (std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev))));
    dagda::testing::write_file(m.roots.proc / "swaps", "Filename\tType\tSize\tUsed\tPriority\n/dev/loop0 partition 1024 0 -2\n");
    CHECK_THAT(refusal(m.target, m.roots), Catch::Contains("/dev/loop0 is in use as swap"));
}

TEST_CASE("Safety: identity assertions must be given and must match", "[disk][safety]") {
    TargetInfo disk;
    disk.path = "/dev/disk/by-id/not-a-real-disk";  // never opened: check_identity compares facts only
    disk.is_block_device = true;
    disk.size_bytes = 1000;
    disk.serial = "S4EWNX0R123456";
    disk.wwn = "naa.5002538e40a1b2c3";
    CHECK_THROWS_WITH(check_identity(disk, {std::nullopt, std::nullopt, std::nullopt, true}),
                      Catch::Contains("--expect-size, --expect-serial or --expect-wwn"));
    CHECK_NOTHROW(check_identity(disk, {1000, std::nullopt, std::nullopt, false}));
    CHECK_NOTHROW(check_identity(disk, {std::nullopt, std::string("S4EWNX0R123456"), std::string("naa.5002538e40a1b2c3"), false}));
    CHECK_THROWS_WITH(check_identity(disk, {1000, std::string("S4EWNX0R999999"), std::nullopt, false}),
                      Catch::Contains("expected serial S4EWNX0R999999, the target has S4EWNX0R123456"));
    CHECK_THROWS_WITH(check_identity(disk, {std::nullopt, std::nullopt, std::string("naa.1"), false}),
                      Catch::Contains("expected WWN naa.1"));
    TargetInfo image;
    image.path = "disk.raw";
    CHECK_NOTHROW(check_identity(image, {std::nullopt, std::nullopt, std::nullopt, true}));
    CHECK_THROWS_AS(check_identity(image, {}), Error);
}

TEST_CASE("Target: identity of a block device from sysfs and /dev/disk", "[disk][root][loop]") {
    dagda::testing::TempDir dir;
    const std::string image = dagda::testing::make_image(dir, "disk.raw", 8 << 20);
    dagda::testing::LoopDevice loop(image);
    if (!loop) {
        WARN("skipped: needs root and a free loop device");
        return;
    }
    struct stat st {};
    REQUIRE(::stat(loop.path().c_str(), &st) == 0);
    const std::string name = fs::path(loop.path()).filename().string();
    const SystemRoots roots{dir.path() / "sys", fs::canonical(dir.path()) / "dev", "/proc"};
    const fs::path block = roots.sys / "devices" / "pci0000:00" / "0000:00:1f.2" / "block" / name;
    dagda::testing::write_file(block / "device" / "model", "Samsung SSD 870\n");
    dagda::testing::write_file(block / "device" / "vpd_pg80", std::string("\x00\x80\x00\x0e", 4) + "S4EWNX0R123456");
    dagda::testing::write_file(block / "device" / "wwid", "naa.5002538e40a1b2c3\n");
    dagda::testing::write_file(block / "queue" / "rotational", "0\n");
    dagda::testing::write_file(block / "removable", "0\n");
    fs::create_directories(roots.sys / "dev" / "block");
    fs::create_directory_symlink(block, roots.sys / "dev" / "block" /
                                            (std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev))));
    dagda::testing::write_file(roots.dev / name, "");
    fs::create_directories(roots.dev / "disk" / "by-id");
    fs::create_symlink("../../" + name, roots.dev / "disk" / "by-id" / "wwn-0x5002538e40a1b2c3");
    fs::create_directories(roots.dev / "disk" / "by-path");
    fs::create_symlink("../../" + name, roots.dev / "disk" / "by-path" / "pci-0000:00:1f.2-ata-1");

    const TargetInfo target = probe_target(loop.path(), roots);
    CHECK(target.is_block_device);
    CHECK(target.size_bytes == (8u << 20));
    CHECK(target.kernel_name == name);
    CHECK(target.model == "Samsung SSD 870");
    CHECK(target.serial == "S4EWNX0R123456");
    CHECK(target.wwn == "naa.5002538e40a1b2c3");
    CHECK(target.rotational == false);
    CHECK(target.by_id == std::vector<std::string>{(roots.dev / "disk" / "by-id" / "wwn-0x5002538e40a1b2c3").string()});
    CHECK(target.by_path.size() == 1);
    CHECK_THAT(describe(target), Catch::Contains("Samsung SSD 870, serial S4EWNX0R123456"));
}

TEST_CASE("disk listing: optical drives, floppies, RAM disks and empty loop devices are never offered as targets", "[disk][inventory]") {
    dagda::testing::TempDir dir;
    dagda::disk::SystemRoots roots;
    roots.sys = dir.path() / "sys";
    roots.dev = dir.path() / "dev";
    for (const char* name : {"sda", "nvme0n1", "sr0", "fd0", "ram0", "zram0", "loop0", "loop1"})
        std::filesystem::create_directories(roots.sys / "block" / name);
    dagda::testing::write_file(roots.sys / "block/loop0/size", "0\n");     // unattached
    dagda::testing::write_file(roots.sys / "block/loop1/size", "2048\n");  // a test's image
    const std::vector<std::string> disks = dagda::disk::list_disks(roots);
    CHECK(disks == std::vector<std::string>{(roots.dev / "loop1").string(), (roots.dev / "nvme0n1").string(), (roots.dev / "sda").string()});
}
