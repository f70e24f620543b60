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
    if (!windows_tools_present(dir) || !have_program("ntfscat") || !have_program("sfdisk") || shared_fixture(dir, "bcd/ntloader-bcd").empty()) FAIL("missing: hivexregedit, mkntfs, ntfs-3g tools, sfdisk or ../shared/fixtures");
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
    if (!windows_tools_present(dir) || !have_program("sfdisk") || shared_fixture(dir, "bcd/ntloader-bcd").empty()) FAIL("missing: tools or ../shared/fixtures");
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

namespace {

// GUIDs with every byte different, so a byte-order mistake shows.
const char* old_disk_guid = "A1A2A3A4-B1B2-C1C2-D1D2-E1E2E3E4E5E6";
const char* old_windows_guid = "01020304-0506-0708-090A-0B0C0D0E0F10";
const char* new_disk_guid = "F1F2F3F4-F5F6-F7F8-F9FA-FBFCFDFEFF00";
const char* new_windows_guid = "21222324-2526-2728-292A-2B2C2D2E2F30";
// The same in Windows' binary order (Data1, Data2, Data3 little-endian), as .reg hex.
const char* old_disk_bytes = "a4,a3,a2,a1,b2,b1,c2,c1,d1,d2,e1,e2,e3,e4,e5,e6";
const char* old_windows_bytes = "04,03,02,01,06,05,08,07,09,0a,0b,0c,0d,0e,0f,10";
const char* new_disk_bytes = "f4,f3,f2,f1,f6,f5,f8,f7,f9,fa,fb,fc,fd,fe,ff,00";
const char* new_windows_bytes = "24,23,22,21,26,25,28,27,29,2a,2b,2c,2d,2e,2f,30";

/// A BCD partition device element for a GPT partition (reference table of inoculation.md §3):
/// no options GUID, type 6, 0x48 bytes follow, the partition GUID, style 0 (GPT), the disk GUID.
std::string gpt_element(const std::string& partition, const std::string& disk) {
    const std::string zero16 = "00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00";
    return zero16 + ",06,00,00,00,00,00,00,00,48,00,00,00,00,00,00,00," + partition + ",00,00,00,00,00,00,00,00," + disk + "," + zero16;
}

struct GptDisk {
    std::string disk, layout;
};

/// A UEFI Windows restored onto a GPT disk with new GUIDs: a FAT32 EFI system partition holding
/// the ntloader BCD store whose OS loader and resume objects name the old GPT partition, and the
/// Windows volume whose MountedDevices names it too.
GptDisk gpt_restored_disk(const TempDir& dir) {
    const std::string element = gpt_element(old_windows_bytes, old_disk_bytes);
    std::string reg;
    for (const char* object : {"{19260817-6666-8888-abcd-000000000002}", "{19260817-6666-8888-abcd-000000000003}"})
        for (const char* id : {"11000001", "21000001"})
            reg += std::string("[HKEY_LOCAL_MACHINE\\BCD\\Objects\\") + object + "\\Elements\\" + id + "]\n\"Element\"=hex(3):" + element + "\n\n";
    const std::string bcd = make_hive(dir, "BCD-gpt", shared_fixture(dir, "bcd/ntloader-bcd"), "HKEY_LOCAL_MACHINE\\BCD", reg);
    const std::string esp = make_image(dir, "esp.raw", 34ull << 20);
    REQUIRE(run("mkfs.fat -F 32 " + sh_quote(esp) + " >/dev/null").exit_code == 0);
    const std::string mtools = "MTOOLS_SKIP_CHECK=1 ";
    REQUIRE(run(mtools + "mmd -i " + sh_quote(esp) + " ::/EFI ::/EFI/Microsoft ::/EFI/Microsoft/Boot").exit_code == 0);
    REQUIRE(run(mtools + "mcopy -i " + sh_quote(esp) + " " + sh_quote(bcd) + " ::/EFI/Microsoft/Boot/BCD").exit_code == 0);

    const std::string mounted = std::string("[HKEY_LOCAL_MACHINE\\SYSTEM\\MountedDevices]\n\"\\\\DosDevices\\\\C:\"=hex(3):44,4d,49,4f,3a,49,44,3a,") +
                                old_windows_bytes + "\n\n";
    WindowsVolumeSpec windows;
    windows.size = 96ull << 20;
    windows.system_hive = make_hive(dir, "SYSTEM-gpt", windows7_system_hive(dir), "HKEY_LOCAL_MACHINE\\SYSTEM", mounted);
    windows.software_hive = windows7_software_hive(dir);
    const std::string system = make_windows_volume(dir, "windows.raw", windows);

    GptDisk g{make_image(dir, "gpt.img", 200ull << 20), dir.file("old-gpt.json")};
    const std::string table = std::string("label: gpt\\nlabel-id: ") + new_disk_guid +
                              "\\nstart=2048, size=69632, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=41424344-4546-4748-494A-4B4C4D4E4F50\\n"
                              "start=71680, size=196608, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, uuid=" + new_windows_guid + "\\n";
    REQUIRE(run("printf '" + table + "' | sfdisk -q " + sh_quote(g.disk)).exit_code == 0);
    REQUIRE(run("dd if=" + sh_quote(esp) + " of=" + sh_quote(g.disk) + " bs=512 seek=2048 conv=notrunc,sparse status=none").exit_code == 0);
    REQUIRE(run("dd if=" + sh_quote(system) + " of=" + sh_quote(g.disk) + " bs=512 seek=71680 conv=notrunc,sparse status=none").exit_code == 0);
    std::ofstream(g.layout) << R"({"partitiontable": {"label": "gpt", "id": ")" << old_disk_guid
                            << R"(", "device": "source.img", "unit": "sectors", "firstlba": 34, "lastlba": 83886046, "sectorsize": 512,
      "partitions": [
        {"node": "source.img1", "start": 2048, "size": 204800, "type": "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "uuid": "31323334-3536-3738-393A-3B3C3D3E3F40"},
        {"node": "source.img2", "start": 206848, "size": 83679199, "type": "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", "uuid": ")"
                            << old_windows_guid << R"("}
      ]}})";
    return g;
}

}  // namespace

TEST_CASE("fixup-boot: the UEFI BCD on the FAT EFI partition and GPT MountedDevices follow Windows to new GUIDs",
          "[windows][boot][uefi][integration]") {
    TempDir dir;
    if (!windows_tools_present(dir) || !have_program("mcopy") || !have_program("mkfs.fat") || !have_program("sfdisk") || shared_fixture(dir, "bcd/ntloader-bcd").empty()) FAIL("missing: mtools, dosfstools, hivexregedit, mkntfs, sfdisk or ../shared/fixtures");
    const GptDisk g = gpt_restored_disk(dir);
    const RunResult fixed = run(dagda_command() + " fixup-boot " + sh_quote(g.disk) + " --old-layout " + sh_quote(g.layout) + " --yes");
    INFO(fixed.out << fixed.err);
    REQUIRE(fixed.exit_code == 0);
    CHECK_THAT(fixed.out, Catch::Contains("/EFI/Microsoft/Boot/BCD: set BCD\\Objects\\{19260817-6666-8888-abcd-000000000002}"));

    const std::string bcd = dir.file("BCD-after");
    REQUIRE(run("MTOOLS_SKIP_CHECK=1 mcopy -n -i " + sh_quote(g.disk) + "@@1048576 ::/EFI/Microsoft/Boot/BCD " + sh_quote(bcd)).exit_code == 0);
    const std::string expected = "hex(3):" + gpt_element(new_windows_bytes, new_disk_bytes);
    for (const char* object : {"{19260817-6666-8888-abcd-000000000002}", "{19260817-6666-8888-abcd-000000000003}"})
        for (const char* id : {"11000001", "21000001"})
            CHECK_THAT(hivexget(bcd, std::string("\\Objects\\") + object + "\\Elements\\" + id), Catch::Contains(expected));
    CHECK_THAT(run("MTOOLS_SKIP_CHECK=1 mdir -b -i " + sh_quote(g.disk) + "@@1048576 ::/EFI/Microsoft/Boot").out, !Catch::Contains("backup"));
    CHECK(run("fsck.fat -n " + sh_quote(partition_file(dir, g.disk, 2048, 69632, "esp-after.raw")) + " >/dev/null").exit_code == 0);

    const std::string windows = partition_file(dir, g.disk, 71680, 196608, "windows-after.raw");
    const std::string system = hive_from(dir, windows, "/Windows/System32/config/SYSTEM", "SYSTEM");
    CHECK_THAT(hivexget(system, "\\MountedDevices"),
               Catch::Contains(std::string("\"\\\\DosDevices\\\\C:\"=hex(3):44,4d,49,4f,3a,49,44,3a,") + new_windows_bytes));
    CHECK(run("ntfsfix -n " + sh_quote(windows)).exit_code == 0);
}

TEST_CASE("fixup-boot: a volume that did not move keeps its geometry - a BitLocker one is reported, not skipped silently",
          "[windows][boot][integration]") {
    TempDir dir;
    if (!have_program("mkntfs") || !have_program("sfdisk")) FAIL("missing: mkntfs or sfdisk");
    const std::string volume = make_image(dir, "volume.raw", 32ull << 20);
    REQUIRE(run("mkntfs -F -Q -p 2048 -H 16 -S 32 " + sh_quote(volume) + " >/dev/null 2>&1").exit_code == 0);
    const std::string disk = make_image(dir, "disk.img", 100ull << 20);
    REQUIRE(run("printf 'label: dos\\nlabel-id: 0x12345678\\nstart=2048, size=65536, type=7\\nstart=69632, size=65536, type=7\\n' | sfdisk -q " +
                sh_quote(disk)).exit_code == 0);
    REQUIRE(run("dd if=" + sh_quote(volume) + " of=" + sh_quote(disk) + " bs=512 seek=2048 conv=notrunc status=none").exit_code == 0);
    REQUIRE(run("dd if=" + sh_quote(volume) + " of=" + sh_quote(disk) + " bs=512 seek=69632 conv=notrunc status=none").exit_code == 0);
    REQUIRE(run(dagda_command() + " disk show " + sh_quote(disk) + " --json > " + sh_quote(dir.file("same.json"))).exit_code == 0);
    // Partition 2 holds BitLocker: its boot sector says -FVE-FS-.
    REQUIRE(run("printf -- '-FVE-FS-' | dd of=" + sh_quote(disk) + " bs=1 seek=$((69632 * 512 + 3)) conv=notrunc status=none").exit_code == 0);
    const RunResult dry = run(dagda_command() + " fixup-boot " + sh_quote(disk) + " --old-layout " + sh_quote(dir.file("same.json")) + " --dry-run");
    INFO(dry.out << dry.err);
    CHECK(dry.exit_code == 0);
    CHECK_THAT(dry.out, Catch::Contains("nothing to fix"));              // hidden sectors right, 16 × 32 kept
    CHECK_THAT(dry.out, Catch::Contains("partition 2 is BitLocker-encrypted"));
    const RunResult forced = run(dagda_command() + " fixup-boot " + sh_quote(disk) + " --old-layout " + sh_quote(dir.file("same.json")) +
                                 " --heads 255 --dry-run");
    CHECK_THAT(forced.out, Catch::Contains("heads (0x1A): 16 -> 255"));
}
