// Block-device paths on loop devices the tests attach to their own image files. Tagged
// [root][loop]: they skip cleanly where the machine cannot attach a loop device.

#include "common/LoopDevice.hpp"
#include "common/Run.hpp"
#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

#include <fstream>

#include <unistd.h>

using namespace dagda::testing;

namespace {

std::string layout_file(const TempDir& dir) {
    const std::string path = dir.file("layout.json");
    std::ofstream(path) << R"({"partitiontable": {"label": "gpt", "id": "0C0FFEE0-0000-4000-8000-0000000000AA",
        "partitions": [{"node": "d1", "start": 2048, "size": 8192, "type": "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7",
                        "uuid": "0C0FFEE0-0000-4000-8000-0000000000AB", "name": "Basic data partition"}]}})";
    return path;
}

#define SKIP_WITHOUT_LOOP(loop)                                               \
    if (!(loop)) {                                                            \
        WARN("skipped: needs root and a free loop device");                   \
        return;                                                               \
    }

}  // namespace

TEST_CASE("disk apply on a loop device: identity required, then written and shown like sfdisk", "[disk][root][loop][integration]") {
    TempDir dir;
    const std::string image = make_image(dir, "disk.raw", 32ull << 20);
    const std::string blank = file_digest(image);
    LoopDevice loop(image);
    SKIP_WITHOUT_LOOP(loop);
    const std::string layout = layout_file(dir);
    const RunResult yes_only = run(dagda_command() + " disk apply " + loop.path() + " " + sh_quote(layout) + " --yes");
    CHECK(yes_only.exit_code == 3);
    CHECK_THAT(yes_only.err, Catch::Contains("--expect-size, --expect-serial or --expect-wwn"));
    const RunResult wrong = run(dagda_command() + " disk apply " + loop.path() + " " + sh_quote(layout) + " --expect-size 1");
    CHECK(wrong.exit_code == 3);
    CHECK(file_digest(image) == blank);

    const RunResult applied =
        run(dagda_command() + " disk apply " + loop.path() + " " + sh_quote(layout) + " --expect-size " + std::to_string(32ull << 20));
    INFO(applied.out << applied.err);
    REQUIRE(applied.exit_code == 0);
    const RunResult shown = run(dagda_command() + " disk show " + loop.path() + " --json");
    CHECK(shown.out == run("sfdisk --json " + loop.path()).out);
    CHECK_THAT(shown.out, Catch::Contains("\"node\": \"" + loop.path() + "p1\""));
    CHECK_THAT(run("sgdisk --verify " + loop.path()).out, Catch::Contains("No problems found"));

    const RunResult inventory = run(dagda_command() + " inventory --json --disk " + loop.path());
    CHECK_THAT(inventory.out, Catch::Contains("\"kind\": \"block\""));
    CHECK_THAT(inventory.out, Catch::Contains("\"disk_guid\": \"0C0FFEE0-0000-4000-8000-0000000000AA\""));
}

TEST_CASE("disk apply refuses an image file attached to a loop device", "[disk][safety][root][loop][integration]") {
    TempDir dir;
    const std::string image = make_image(dir, "disk.raw", 32ull << 20);
    const std::string blank = file_digest(image);
    LoopDevice loop(image);
    SKIP_WITHOUT_LOOP(loop);
    const RunResult result = run(dagda_command() + " disk apply " + sh_quote(image) + " " + sh_quote(layout_file(dir)) + " --yes");
    CHECK(result.exit_code == 3);
    CHECK_THAT(result.err, Catch::Contains("attached to " + loop.path()));
    CHECK(file_digest(image) == blank);
}

TEST_CASE("disk apply refuses a mounted loop device", "[disk][safety][root][loop][integration]") {
    if (!have_program("mke2fs")) FAIL("missing: mke2fs is not installed");
    TempDir dir;
    const std::string image = make_image(dir, "disk.raw", 32ull << 20);
    REQUIRE(run("mke2fs -q -F -t ext2 " + sh_quote(image)).exit_code == 0);
    LoopDevice loop(image);
    SKIP_WITHOUT_LOOP(loop);
    const std::string mount_point = dir.file("mnt");
    REQUIRE(run("mkdir " + sh_quote(mount_point)).exit_code == 0);
    if (run("mount " + loop.path() + " " + sh_quote(mount_point)).exit_code != 0) {
        WARN("skipped: this machine cannot mount here");
        return;
    }
    // Mounting rewrites the ext2 superblock, so compare what dagda would write: sector 0, the
    // GPT header and entries after it, and the backup GPT in the last 33 sectors.
    const std::string head = file_range(image, 0, 1024);
    const std::string tail = file_range(image, (32ull << 20) - 33 * 512, 33 * 512);
    const RunResult result = run(dagda_command() + " disk apply " + loop.path() + " " + sh_quote(layout_file(dir)) +
                                 " --expect-size " + std::to_string(32ull << 20));
    run("umount " + sh_quote(mount_point));
    CHECK(result.exit_code == 3);
    CHECK_THAT(result.err, Catch::Contains("is mounted on " + mount_point));
    CHECK(file_range(image, 0, 1024) == head);
    CHECK(file_range(image, (32ull << 20) - 33 * 512, 33 * 512) == tail);
    CHECK_THAT(run("blkid -p -o export " + sh_quote(image)).out, !Catch::Contains("PTTYPE"));
}

TEST_CASE("disk apply on a 4096-byte-sector loop device (4Kn disk)", "[disk][root][loop][integration]") {
    TempDir dir;
    const std::string image = make_image(dir, "disk.raw", 256ull << 20);
    const RunResult attached = run("losetup --find --show --sector-size 4096 " + sh_quote(image));
    if (::geteuid() != 0 || attached.exit_code != 0) {
        WARN("skipped: needs root and a loop device with 4096-byte sectors");
        return;
    }
    const std::string loop = attached.out.substr(0, attached.out.find('\n'));
    struct Detach {
        std::string path;
        ~Detach() { run("losetup -d " + sh_quote(path)); }
    } detach{loop};
    REQUIRE(loop.rfind("/dev/loop", 0) == 0);
    const std::string layout = dir.file("layout.json");
    std::ofstream(layout) << R"({"partitiontable": {"label": "gpt", "id": "0C0FFEE0-0000-4000-8000-0000000000AA", "sectorsize": 4096,
        "partitions": [{"node": "d1", "start": 256, "size": 25600, "type": "C12A7328-F81F-11D2-BA4B-00A0C93EC93B",
                        "uuid": "0C0FFEE0-0000-4000-8000-0000000000AB", "name": "EFI"},
                       {"node": "d2", "start": 25856, "size": 30000, "type": "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7",
                        "uuid": "0C0FFEE0-0000-4000-8000-0000000000AC"}]}})";
    const RunResult applied =
        run(dagda_command() + " disk apply " + loop + " " + sh_quote(layout) + " --expect-size " + std::to_string(256ull << 20));
    INFO(applied.out << applied.err);
    REQUIRE(applied.exit_code == 0);
    const std::string shown = run(dagda_command() + " disk show " + loop + " --json").out;
    CHECK(shown == run("sfdisk --json " + loop).out);
    CHECK_THAT(shown, Catch::Contains("\"sectorsize\": 4096"));
    CHECK_THAT(shown, Catch::Contains("\"start\": 25856"));
    CHECK_THAT(run("sgdisk --verify " + loop).out, Catch::Contains("No problems found"));
    // A 512-byte-sector layout on this disk would put every partition at the wrong byte offset.
    const std::string small = dir.file("512.json");
    std::ofstream(small) << R"({"partitiontable": {"label": "dos", "sectorsize": 512, "partitions": [{"node": "d1", "start": 2048, "size": 2048, "type": "7"}]}})";
    const RunResult refused =
        run(dagda_command() + " disk apply " + loop + " " + sh_quote(small) + " --expect-size " + std::to_string(256ull << 20));
    CHECK(refused.exit_code == 3);
    CHECK_THAT(refused.err, Catch::Contains("512-byte sectors but the target has 4096-byte sectors"));
}

TEST_CASE("disk apply tells the kernel the layout's partition numbers, gaps included", "[disk][root][loop][integration]") {
    TempDir dir;
    const std::string image = make_image(dir, "disk.raw", 64ull << 20);
    LoopDevice loop(image);
    SKIP_WITHOUT_LOOP(loop);
    const std::string layout = dir.file("gaps.json");
    std::ofstream(layout) << R"({"partitiontable": {"label": "gpt", "partitions": [
        {"node": "d2", "start": 2048, "size": 4096, "type": "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"},
        {"node": "d5", "start": 8192, "size": 8192, "type": "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"}]}})";
    const RunResult applied =
        run(dagda_command() + " disk apply " + loop.path() + " " + sh_quote(layout) + " --expect-size " + std::to_string(64ull << 20));
    INFO(applied.out << applied.err);
    REQUIRE(applied.exit_code == 0);
    const std::string name = loop.path().substr(5);
    const std::string sys = "/sys/block/" + name + "/" + name;
    if (run("ls -d " + sys + "p* 2>/dev/null").out.empty()) {
        WARN("skipped: this kernel shows no partitions of loop devices");
        return;
    }
    CHECK(run("cat " + sys + "p2/start").out == "2048\n");
    CHECK(run("cat " + sys + "p5/start").out == "8192\n");
    CHECK(run("ls -d " + sys + "p1 2>/dev/null").out.empty());
}
