// dagda fixup-boot through the real binary: a disk restored with another signature and a moved
// Windows partition, holding the real ntloader BCD store and a Windows 7 SYSTEM hive whose
// MountedDevices name the old disk. Checked with hivexget and the raw bytes of the disk.

#include "common/Run.hpp"
#include "common/TempDir.hpp"
#include "common/WindowsVolume.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace dagda::testing;
namespace fs = std::filesystem;

namespace {

// The ntloader BCD store names C: as MBR disk 0x43da9ab1, byte offset 0x1f500000 (sector 1026048).
const char* old_layout_json = R"({
   "partitiontable": {
      "label": "dos",
      "id": "0x43da9ab1",
      "device": "source.img",
      "unit": "sectors",
      "sectorsize": 512,
      "partitions": [
         {"node": "source.img1", "start": 2048, "size": 1024000, "type": "7", "bootable": true},
         {"node": "source.img2", "start": 1026048, "size": 4194304, "type": "7"}
      ]
   }
})";

// On the new disk: signature 0x11223344, C: at sector 133120 (byte 0x4100000).
const char* new_layout_sfdisk = "label: dos\nlabel-id: 0x11223344\nstart=2048, size=131072, type=7, bootable\nstart=133120, size=196608, type=7\n";

std::uint32_t le32(const std::string& bytes) {
    std::uint32_t value = 0;
    for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
    return value;
}

struct RestoredDisk {
    std::string disk, layout;
};

/// The disk as a restore onto it leaves it: the new table, a System Reserved volume holding the
/// BCD, and the Windows volume, each made by mkntfs without knowing where it would live.
RestoredDisk restored_disk(const TempDir& dir) {
    WindowsVolumeSpec reserved;
    reserved.size = 64ull << 20;
    reserved.files = {{"/Boot/BCD", file_range(shared_fixture(dir, "bcd/ntloader-bcd"), 0, static_cast<std::size_t>(fs::file_size(shared_fixture(dir, "bcd/ntloader-bcd"))))}};
    const std::string boot = make_windows_volume(dir, "reserved.raw", reserved);

    const std::string mounted =
        "[HKEY_LOCAL_MACHINE\\SYSTEM\\MountedDevices]\n"
        "\"\\\\DosDevices\\\\C:\"=hex(3):b1,9a,da,43,00,00,50,1f,00,00,00,00\n"
        "\"\\\\DosDevices\\\\D:\"=hex(3):b1,9a,da,43,00,00,10,00,00,00,00,00\n\n";
    WindowsVolumeSpec windows;
    windows.size = 96ull << 20;
    windows.system_hive = make_hive(dir, "SYSTEM-old-disk", windows7_system_hive(dir), "HKEY_LOCAL_MACHINE\\SYSTEM", mounted);
    windows.software_hive = windows7_software_hive(dir);
    const std::string system = make_windows_volume(dir, "windows.raw", windows);

    RestoredDisk r{make_image(dir, "disk.img", 200ull << 20), dir.file("old-layout.json")};
    REQUIRE(run("printf '" + std::string(new_layout_sfdisk) + "' | sfdisk -q " + sh_quote(r.disk)).exit_code == 0);
    REQUIRE(run("dd if=" + sh_quote(boot) + " of=" + sh_quote(r.disk) + " bs=512 seek=2048 conv=notrunc,sparse status=none").exit_code == 0);
    REQUIRE(run("dd if=" + sh_quote(system) + " of=" + sh_quote(r.disk) + " bs=512 seek=133120 conv=notrunc,sparse status=none").exit_code == 0);
    std::ofstream(r.layout) << old_layout_json;
    return r;
}

std::string partition_file(const TempDir& dir, const std::string& disk, std::uint64_t start, std::uint64_t sectors,
                           const std::string& name) {
    const std::string out = dir.file(name);
    REQUIRE(run("dd if=" + sh_quote(disk) + " of=" + sh_quote(out) + " bs=512 skip=" + std::to_string(start) + " count=" +
                std::to_string(sectors) + " status=none")
                .exit_code == 0);
    return out;
}

std::string hive_from(const TempDir& dir, const std::string& volume, const std::string& path, const std::string& name) {
    const std::string out = dir.file(name);
    REQUIRE(run("ntfscat " + sh_quote(volume) + " " + sh_quote(path) + " > " + sh_quote(out)).exit_code == 0);
    return out;
}

std::string hivexget(const std::string& hive, const std::string& key) {
    const auto result = run("hivexget " + sh_quote(hive) + " " + sh_quote(key));
    REQUIRE(result.exit_code == 0);
    return result.out;
}

}  // namespace

TEST_CASE("fixup-boot: boot sectors, MountedDevices and the BCD follow Windows to a new disk", "[windows][boot][integration]") {
    TempDir dir;
    if (!windows_tools_present(dir) || !have_program("ntfscat") || !have_program("sfdisk") || shared_fixture(dir, "bcd/ntloader-bcd").empty()) {
        WARN("skipped: hivexregedit, mkntfs, ntfs-3g tools, sfdisk or ../shared/fixtures missing");
        return;
    }
    const RestoredDisk r = restored_disk(dir);
    const std::string command = dagda_command() + " fixup-boot " + sh_quote(r.disk) + " --old-layout " + sh_quote(r.layout);

    const std::string before = file_digest(r.disk);
    const RunResult dry = run(command + " --dry-run");
    INFO(dry.out << dry.err);
    REQUIRE(dry.exit_code == 0);
    CHECK_THAT(dry.out, Catch::Contains("partition 2 was MBR disk 0x43da9ab1") && Catch::Contains("hidden sectors (0x1C): 0 -> 133120"));
    CHECK_THAT(dry.out, Catch::Contains("/Boot/BCD: set BCD\\Objects\\") && Catch::Contains("MountedDevices"));
    CHECK(file_digest(r.disk) == before);

    CHECK(run(command).exit_code == 3);  // an image file needs --yes
    const RunResult fixed = run(command + " --yes");
    INFO(fixed.out << fixed.err);
    REQUIRE(fixed.exit_code == 0);

    // Boot sectors, both copies: hidden sectors = the partition's start, geometry 255/63.
    for (const auto& [start, sectors] : {std::pair<std::uint64_t, std::uint64_t>{2048, 131072}, {133120, 196608}}) {
        const std::string sector = file_range(r.disk, start * 512, 512);
        CHECK(le32(sector.substr(0x1C, 4)) == start);
        CHECK(le32(sector.substr(0x18, 4)) == (255u << 16 | 63u));
        CHECK(file_range(r.disk, (start + sectors - 1) * 512, 512) == sector);  // the backup, mkntfs's last sector
    }
    const std::string windows = partition_file(dir, r.disk, 133120, 196608, "windows-after.raw");
    const std::string reserved = partition_file(dir, r.disk, 2048, 131072, "reserved-after.raw");
    CHECK(run("ntfsfix -n " + sh_quote(windows)).exit_code == 0);
    CHECK(run("ntfsfix -n " + sh_quote(reserved)).exit_code == 0);

    // MountedDevices: C: now names the new signature and offset; D: (partition 1 at 1 MiB) the new signature.
    const std::string system = hive_from(dir, windows, "/Windows/System32/config/SYSTEM", "SYSTEM");
    const std::string mounted = hivexget(system, "\\MountedDevices");
    CHECK_THAT(mounted, Catch::Contains("\"\\\\DosDevices\\\\C:\"=hex(3):44,33,22,11,00,00,10,04,00,00,00,00"));
    CHECK_THAT(mounted, Catch::Contains("\"\\\\DosDevices\\\\D:\"=hex(3):44,33,22,11,00,00,10,00,00,00,00,00"));

    // BCD: the OS loader's device elements name the new partition (offset at 0x20, signature at 0x38).
    const std::string bcd = hive_from(dir, reserved, "/Boot/BCD", "BCD");
    const std::string loader = hivexget(bcd, "\\Objects\\{19260817-6666-8888-abcd-000000000002}\\Elements\\11000001");
    CHECK_THAT(loader, Catch::Contains("06,00,00,00,00,00,00,00,48,00,00,00,00,00,00,00,00,00,10,04,00,00,00,00,00,00,00,00,00,00,00,00,"
                                       "00,00,00,00,01,00,00,00,44,33,22,11"));
    CHECK_THAT(fixed.out, Catch::Contains("Fixed up"));

    const RunResult again = run(command + " --yes");
    CHECK(again.exit_code == 0);
    CHECK_THAT(again.out, Catch::Contains("nothing to fix"));
}

TEST_CASE("fixup-boot: layouts that do not pair are refused and nothing is written", "[windows][boot][integration]") {
    TempDir dir;
    if (!windows_tools_present(dir) || !have_program("sfdisk") || shared_fixture(dir, "bcd/ntloader-bcd").empty()) {
        WARN("skipped: tools or ../shared/fixtures missing");
        return;
    }
    const RestoredDisk r = restored_disk(dir);
    std::string three = old_layout_json;
    three.replace(three.find("]\n   }"), 1, ",{\"node\": \"source.img3\", \"start\": 9000000, \"size\": 2048, \"type\": \"83\"}]");
    std::ofstream(dir.file("three.json")) << three;
    const std::string before = file_digest(r.disk);
    const RunResult result = run(dagda_command() + " fixup-boot " + sh_quote(r.disk) + " --old-layout " + sh_quote(dir.file("three.json")) + " --yes");
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.err, Catch::Contains("partition"));
    CHECK(file_digest(r.disk) == before);
    CHECK(run(dagda_command() + " fixup-boot " + sh_quote(r.disk) + " --yes").exit_code == 2);
}
