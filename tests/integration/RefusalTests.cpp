// Every refusal and every bad input leaves the target's bytes exactly as they were, exits with
// the documented code, and names the problem.

#include "common/Run.hpp"
#include "common/TempDir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

using namespace dagda::testing;
namespace fs = std::filesystem;

namespace {

// A 64 MiB image that already holds a table (made by sfdisk), so "unchanged" means something.
std::string existing_disk(const TempDir& dir) {
    const std::string path = make_image(dir, "target.raw", 64ull << 20);
    const RunResult made = run("printf 'label: dos\\nlabel-id: 0xdeadbeef\\nstart=2048, size=20480, type=83\\n' | sfdisk -q " + sh_quote(path));
    REQUIRE(made.exit_code == 0);
    return path;
}

std::string layout_file(const TempDir& dir, const std::string& json) {
    const std::string path = dir.file("layout.json");
    std::ofstream(path) << json;
    return path;
}

std::string dos_layout(const std::string& partitions) {
    return R"({"partitiontable": {"label": "dos", "id": "0x11223344", "unit": "sectors", "partitions": [)" + partitions + "]}}";
}

struct Refusal {
    const char* what;
    std::string layout;
    std::string options;
    int exit_code;
    const char* message;
};

}  // namespace

TEST_CASE("disk apply: refusals and bad layouts leave the disk untouched", "[disk][safety][integration]") {
    const std::string good = R"({"node": "x1", "start": 2048, "size": 4096, "type": "7"})";
    const Refusal r = GENERATE_REF(
        Refusal{"bad JSON", "{\"partitiontable\": ", "--yes", 1, "not JSON"},
        Refusal{"overlap", dos_layout(good + R"(, {"node": "x2", "start": 4000, "size": 10, "type": "83"})"), "--yes", 1, "overlaps"},
        Refusal{"beyond the end", dos_layout(R"({"node": "x1", "start": 2048, "size": 200000, "type": "7"})"), "--yes", 3, "beyond the end"},
        Refusal{"unknown type", dos_layout(R"({"node": "x1", "start": 2048, "size": 10, "type": "xyz"})"), "--yes", 1, "unknown partition type 'xyz'"},
        Refusal{"logical without extended", dos_layout(R"({"node": "x5", "start": 2048, "size": 10, "type": "7"})"), "--yes", 1, "need an extended partition"},
        Refusal{"identity not asserted", dos_layout(good), "", 3, "identity is not asserted"},
        Refusal{"wrong size asserted", dos_layout(good), "--expect-size 1000", 3, "expected 1000 bytes"},
        Refusal{"serial asserted on an image", dos_layout(good), "--expect-serial ABC", 3, "expected serial ABC"},
        Refusal{"unknown option", dos_layout(good), "--yes --frobnicate", 2, "frobnicate"},
        Refusal{"grow without fit", dos_layout(good), "--yes --grow 1", 2, "--grow only has a meaning with --fit"});
    CAPTURE(r.what);
    TempDir dir;
    const std::string target = existing_disk(dir);
    const std::string before = file_digest(target);
    const RunResult result =
        run(dagda_command() + " disk apply " + sh_quote(target) + " " + sh_quote(layout_file(dir, r.layout)) + " " + r.options);
    CHECK(result.exit_code == r.exit_code);
    CHECK_THAT(result.err, Catch::Contains(r.message));
    CHECK(file_digest(target) == before);
}

TEST_CASE("disk apply: a correct --expect-size is enough for an image", "[disk][safety][integration]") {
    TempDir dir;
    const std::string target = existing_disk(dir);
    const std::string layout = layout_file(dir, dos_layout(R"({"node": "x1", "start": 2048, "size": 4096, "type": "7", "bootable": true})"));
    const RunResult result = run(dagda_command() + " disk apply " + sh_quote(target) + " " + sh_quote(layout) + " --expect-size " +
                                 std::to_string(64ull << 20) + " --json");
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("\"result\": \"done\""));
    CHECK_THAT(run("sfdisk --dump " + sh_quote(target)).out, Catch::Contains("start=        2048, size=        4096, type=7, bootable"));
    // No boot code in the layout: the generic syslinux MBR is written.
    CHECK(file_range(target, 0, 440) == file_bytes("/usr/lib/syslinux/mbr/mbr.bin"));
}

TEST_CASE("disk apply: a disk holding the Dagda boot medium is refused", "[disk][safety][integration]") {
    if (!have_program("mke2fs")) FAIL("missing: mke2fs is not installed");
    TempDir dir;
    const std::string target = existing_disk(dir);
    // An ext2 filesystem labelled like the live medium inside partition 1 (sector 2048).
    REQUIRE(run("mke2fs -q -F -t ext2 -L DAGDA-RESCUE -E offset=1048576 " + sh_quote(target) + " 8192").exit_code == 0);
    const std::string before = file_digest(target);
    const std::string layout = layout_file(dir, dos_layout(R"({"node": "x1", "start": 2048, "size": 4096, "type": "7"})"));
    const RunResult result = run(dagda_command() + " disk apply " + sh_quote(target) + " " + sh_quote(layout) + " --yes");
    CHECK(result.exit_code == 3);
    CHECK_THAT(result.err, Catch::Contains("Dagda boot medium"));
    CHECK(file_digest(target) == before);
}

TEST_CASE("the live ISO written to a USB stick is marked in the inventory and refused as a target", "[disk][safety][integration]") {
    if (!have_program("xorriso")) FAIL("missing: xorriso is not installed");
    TempDir dir;
    // A stick as `dd if=dagda-rescue.iso of=/dev/sdX` leaves it: an ISO 9660 filesystem from
    // sector 0 with the live image's volume id (imagebuild/make-iso.sh; the boot loaders, which
    // need a real boot image here, change nothing that the check looks at).
    fs::create_directories(dir.file("iso"));
    write_file(dir.file("iso/hello.txt"), "dagda\n");
    const std::string stick = dir.file("stick.img");
    REQUIRE(run("xorriso -as mkisofs -quiet -V DAGDA_RESCUE -o " + sh_quote(stick) + " " + sh_quote(dir.file("iso")) + " 2>&1").exit_code == 0);
    REQUIRE(run("truncate -s 16M " + sh_quote(stick)).exit_code == 0);
    const std::string other = existing_disk(dir);
    const RunResult inventory = run(dagda_command() + " inventory --json --disk " + sh_quote(stick) + " --disk " + sh_quote(other));
    REQUIRE(inventory.exit_code == 0);
    const auto disks = nlohmann::json::parse(inventory.out)["disks"];
    REQUIRE(disks.size() == 2);
    CHECK(disks[0]["boot_medium"] == true);
    CHECK(disks[1]["boot_medium"] == false);

    const std::string before = file_digest(stick);
    const std::string layout = layout_file(dir, dos_layout(R"({"node": "x1", "start": 2048, "size": 4096, "type": "7"})"));
    const RunResult result = run(dagda_command() + " disk apply " + sh_quote(stick) + " " + sh_quote(layout) + " --yes");
    CHECK(result.exit_code == 3);
    CHECK_THAT(result.err, Catch::Contains("Dagda boot medium (filesystem label DAGDA_RESCUE)"));
    CHECK(file_digest(stick) == before);
}

TEST_CASE("dagda: usage errors and help", "[app][integration]") {
    CHECK(run(dagda_command()).exit_code == 2);
    CHECK(run(dagda_command() + " frobnicate").exit_code == 2);
    const RunResult help = run(dagda_command() + " --help");
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.out, Catch::Contains("3  refused for safety"));
    for (const char* command : {"inventory", "disk show", "disk apply"}) {
        const RunResult sub = run(dagda_command() + " " + command + " --help");
        CHECK(sub.exit_code == 0);
        CHECK_THAT(sub.out, Catch::Contains(std::string("Usage: dagda ") + command));
    }
    const RunResult json = run(dagda_command() + " disk show /nonexistent/disk.raw --json");
    CHECK(json.exit_code == 1);
    CHECK_THAT(json.out, Catch::Contains("\"kind\": \"failed\""));
}

TEST_CASE("disk show: a blank disk has no table to show", "[disk][show][integration]") {
    TempDir dir;
    const std::string blank = make_image(dir, "blank.raw", 1 << 20);
    const RunResult result = run(dagda_command() + " disk show " + sh_quote(blank) + " --json");
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.err, Catch::Contains("does not contain a recognized partition table"));
}

TEST_CASE("disk apply: a read-only image file is refused, even for root", "[disk][safety][integration]") {
    TempDir dir;
    const std::string target = existing_disk(dir);
    REQUIRE(run("chmod 444 " + sh_quote(target)).exit_code == 0);
    const std::string before = file_digest(target);
    const std::string layout = layout_file(dir, dos_layout(R"({"node": "x1", "start": 2048, "size": 4096, "type": "7"})"));
    const RunResult result = run(dagda_command() + " disk apply " + sh_quote(target) + " " + sh_quote(layout) + " --yes");
    CHECK(result.exit_code == 3);
    CHECK_THAT(result.err, Catch::Contains("read-only"));
    CHECK(file_digest(target) == before);
}
