// dagda inventory through the real binary: disks from image files read with libblkid, and the
// machine's own PCI devices, network interfaces and firmware from sysfs.

#include "common/Run.hpp"
#include "common/TempDir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace dagda::testing;
using nlohmann::json;

TEST_CASE("inventory: the Windows 7 disk's partitions are NTFS, its signature is read", "[inventory][integration]") {
    TempDir dir;
    const std::string disk = shared_fixture(dir, "disks/mbr-two-ntfs.raw.xz");
    const RunResult result = run(dagda_command() + " inventory --json --disk " + sh_quote(disk));
    REQUIRE(result.exit_code == 0);
    const json inventory = json::parse(result.out);
    REQUIRE(inventory["disks"].size() == 1);
    const json& d = inventory["disks"][0];
    CHECK(d["kind"] == "image");
    CHECK(d["size_bytes"] == 62915072);
    CHECK(d["logical_sector_size"] == 512);
    CHECK(d["partition_table"]["type"] == "dos");
    CHECK(d["partition_table"]["disk_signature"] == "0x7ef7f55d");
    const json& parts = d["partition_table"]["partitions"];
    REQUIRE(parts.size() == 2);
    CHECK(parts[0]["start"] == 128);
    CHECK(parts[0]["size"] == 55296);
    CHECK(parts[0]["type"] == "7");
    CHECK(parts[0]["filesystem"]["type"] == "ntfs");
    CHECK(parts[1]["filesystem"]["type"] == "ntfs");
    CHECK(parts[1]["filesystem"]["uuid"] == "AC327F33327F021E");
    CHECK(parts[0]["filesystem"]["label"] == "Part 1");

    const RunResult text = run(dagda_command() + " inventory --disk " + sh_quote(disk));
    CHECK_THAT(text.out, Catch::Contains("dos table, id 0x7ef7f55d"));
    CHECK_THAT(text.out, Catch::Contains("fs ntfs"));
}

TEST_CASE("inventory: gpt names and GUIDs, and a filesystem label", "[inventory][integration]") {
    TempDir dir;
    const std::string disk = make_image(dir, "disk.raw", 64ull << 20);
    REQUIRE(run("printf 'label: gpt\\nlabel-id: 0C0FFEE0-0000-4000-8000-000000000010\\nstart=2048, size=20480, "
                "type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, uuid=0C0FFEE0-0000-4000-8000-000000000011, name=\"Data\", "
                "attrs=\"RequiredPartition\"\\n' | sfdisk -q " + sh_quote(disk)).exit_code == 0);
    if (have_program("mke2fs"))
        REQUIRE(run("mke2fs -q -F -t ext4 -L SRVDATA -E offset=1048576 " + sh_quote(disk) + " 10240").exit_code == 0);
    const json inventory = json::parse(run(dagda_command() + " inventory --json --disk " + sh_quote(disk)).out);
    const json& table = inventory["disks"][0]["partition_table"];
    CHECK(table["disk_guid"] == "0C0FFEE0-0000-4000-8000-000000000010");
    const json& p = table["partitions"][0];
    CHECK(p["name"] == "Data");
    CHECK(p["uuid"] == "0C0FFEE0-0000-4000-8000-000000000011");
    CHECK(p["attrs"] == "RequiredPartition");
    CHECK(p["type_name"] == "Microsoft basic data");
    if (have_program("mke2fs")) {
        CHECK(p["filesystem"]["type"] == "ext4");
        CHECK(p["filesystem"]["label"] == "SRVDATA");
    }
}

TEST_CASE("inventory: this machine's PCI devices, network and firmware", "[inventory][integration]") {
    TempDir dir;
    const std::string disk = make_image(dir, "blank.raw", 1 << 20);
    // --disk keeps the test away from the machine's real disks.
    const RunResult result = run(dagda_command() + " inventory --json --disk " + sh_quote(disk));
    REQUIRE(result.exit_code == 0);
    const json inventory = json::parse(result.out);
    CHECK(inventory["disks"][0]["partition_table"].is_null());
    CHECK(inventory["machine"]["cpu_count"].get<unsigned>() >= 1);
    CHECK((inventory["machine"]["firmware"] == "bios" || inventory["machine"]["firmware"] == "uefi"));
    bool has_lo = false;
    for (const auto& n : inventory["network"]) has_lo = has_lo || n["name"] == "lo";
    CHECK(has_lo);
    for (const auto& p : inventory["pci"]) {
        CHECK_THAT(p["hardware_ids"][0].get<std::string>(),
                   Catch::Matches(R"(PCI\\VEN_[0-9A-F]{4}&DEV_[0-9A-F]{4}&SUBSYS_[0-9A-F]{8}&REV_[0-9A-F]{2})"));
        CHECK_THAT(p["compatible_ids"][5].get<std::string>(), Catch::Matches(R"(PCI\\CC_[0-9A-F]{6})"));
    }
}

TEST_CASE("inventory: a disk that cannot be read is an error naming it", "[inventory][integration]") {
    const RunResult result = run(dagda_command() + " inventory --json --disk /nonexistent/disk.raw");
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.err, Catch::Contains("/nonexistent/disk.raw"));
}
