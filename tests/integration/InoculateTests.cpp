// dagda inoculate through the real binary on synthetic Windows volumes (mkntfs, real and phony
// hives, the virtio-win INF templates from ../shared), checked with hivexget, ntfscat, ntfsls and
// ntfsfix, none of which this project wrote.

#include "common/Run.hpp"
#include "common/TempDir.hpp"
#include "common/WindowsVolume.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace dagda::testing;
namespace fs = std::filesystem;

namespace {

void put(const fs::path& path, const std::string& content) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
}

/// A PVSCSI-style INF written for these tests: one boot-start SCSI miniport for NTamd64.
const char* pvscsi_inf =
    "[Version]\r\nSignature=\"$WINDOWS NT$\"\r\nClass=SCSIAdapter\r\nClassGUID={4D36E97B-E325-11CE-BFC1-08002BE10318}\r\n"
    "Provider=%Vendor%\r\nDriverVer=03/15/2019,1.3.15.0\r\nCatalogFile=pvscsi.cat\r\n\r\n"
    "[SourceDisksNames]\r\n1 = %Disk%,,,\"\"\r\n\r\n[SourceDisksFiles]\r\npvscsi.sys = 1,,\r\n\r\n"
    "[DestinationDirs]\r\nDefaultDestDir = 12\r\n\r\n"
    "[Manufacturer]\r\n%Vendor% = Vendor, NTamd64\r\n\r\n"
    "[Vendor.NTamd64]\r\n%PVSCSI.Desc% = pvscsi_inst, PCI\\VEN_15AD&DEV_07C0\r\n\r\n"
    "[pvscsi_inst]\r\nCopyFiles = pvscsi_files\r\n\r\n[pvscsi_files]\r\npvscsi.sys,,,2\r\n\r\n"
    "[pvscsi_inst.Services]\r\nAddService = pvscsi, 0x00000002, pvscsi_service\r\n\r\n"
    "[pvscsi_service]\r\nServiceType = 1\r\nStartType = 0\r\nErrorControl = 1\r\nServiceBinary = %12%\\pvscsi.sys\r\n"
    "LoadOrderGroup = SCSI miniport\r\n\r\n"
    "[Strings]\r\nVendor = \"Test Vendor\"\r\nDisk = \"PVSCSI disk\"\r\nPVSCSI.Desc = \"Paravirtual SCSI controller\"\r\n";

/// drv/ with vioscsi and viostor (virtio-win templates) and a PVSCSI package; `viostor_machine`
/// is the architecture viostor.sys is built for.
std::string driver_folder(const TempDir& dir, std::uint16_t viostor_machine = 0x8664) {
    const fs::path drv = dir.path() / "drv";
    fs::create_directories(drv / "virtio/vioscsi/2k12R2/amd64");
    fs::copy_file(shared_fixture(dir, "inf/vioscsi.inx"), drv / "virtio/vioscsi/2k12R2/amd64/vioscsi.inx");
    put(drv / "virtio/vioscsi/2k12R2/amd64/VIOSCSI.SYS", pe_driver(0x8664));  // found whatever its case
    put(drv / "virtio/vioscsi/2k12R2/amd64/vioscsi.cat", "catalog");
    fs::create_directories(drv / "virtio/viostor/w7/amd64");
    fs::copy_file(shared_fixture(dir, "inf/viostor.inx"), drv / "virtio/viostor/w7/amd64/viostor.inx");
    put(drv / "virtio/viostor/w7/amd64/viostor.sys", pe_driver(viostor_machine));
    put(drv / "vmware/pvscsi/win8/amd64/pvscsi.inf", pvscsi_inf);
    put(drv / "vmware/pvscsi/win8/amd64/pvscsi.sys", pe_driver(0x8664));
    return drv.string();
}

RunResult inoculate(const std::string& target, const std::string& arguments) {
    return run(dagda_command() + " inoculate " + sh_quote(target) + " " + arguments);
}

/// The SYSTEM hive of a volume file, copied out with ntfscat.
std::string system_hive_of(const TempDir& dir, const std::string& volume, const std::string& name) {
    const std::string hive = dir.file(name);
    REQUIRE(run("ntfscat " + sh_quote(volume) + " /Windows/System32/config/SYSTEM > " + sh_quote(hive)).exit_code == 0);
    return hive;
}

/// hivexget's text for a key ("\"Name\"=…" lines) or a value.
std::string hivexget(const std::string& hive, const std::string& key, const std::string& value = "") {
    const auto result = run("hivexget " + sh_quote(hive) + " " + sh_quote(key) + (value.empty() ? "" : " " + sh_quote(value)));
    INFO("hivexget " << key << " " << value << ": " << result.err);
    REQUIRE(result.exit_code == 0);
    return result.out;
}

bool has_key(const std::string& hive, const std::string& key) {
    return run("hivexget " + sh_quote(hive) + " " + sh_quote(key) + " >/dev/null 2>&1").exit_code == 0;
}

#define REQUIRE_WINDOWS_TOOLS(dir)                                                       \
    if (!windows_tools_present(dir) || !have_program("ntfscat")) FAIL("missing: hivexregedit, mkntfs, ntfs-3g tools or ../shared/fixtures");

}  // namespace

TEST_CASE("inoculate: the real Windows 8.1 SYSTEM hive, for virtio-scsi and PVSCSI through DriverDatabase",
          "[windows][inoculate][integration]") {
    TempDir dir;
    REQUIRE_WINDOWS_TOOLS(dir);
    WindowsVolumeSpec spec;
    spec.system_hive = windows81_system_hive(dir);
    spec.software_hive = windows2012r2_software_hive(dir);
    spec.size = 96ull << 20;
    const std::string volume = make_windows_volume(dir, "volume.raw", spec);
    // On a disk: the partition that holds Windows is found without --partition.
    const std::string disk = make_image(dir, "disk.img", spec.size + (2ull << 20));
    REQUIRE(run("printf 'label: dos\\nstart=2048, size=196608, type=7\\n' | sfdisk -q " + sh_quote(disk)).exit_code == 0);
    REQUIRE(run("dd if=" + sh_quote(volume) + " of=" + sh_quote(disk) + " bs=1M seek=1 conv=notrunc,sparse status=none").exit_code == 0);
    const std::string drivers = driver_folder(dir);
    const std::string before = system_hive_of(dir, volume, "SYSTEM.before");

    const RunResult result = inoculate(disk, "--for virtio-scsi --for vmware-pvscsi --for nvme --drivers " + sh_quote(drivers) + " --yes");
    INFO(result.out << result.err);
    REQUIRE(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("disk.img partition 1") && Catch::Contains("marked dirty"));
    CHECK_THAT(result.out, Catch::Contains("driver virtio-scsi: vioscsi from") && Catch::Contains("driver nvme: stornvme (in-box"));

    const std::string partition = dir.file("partition.raw");
    REQUIRE(run("dd if=" + sh_quote(disk) + " of=" + sh_quote(partition) + " bs=1M skip=1 count=96 status=none").exit_code == 0);
    const std::string hive = system_hive_of(dir, partition, "SYSTEM.after");
    // The recipe (docs/windows.md): services boot-start...
    for (const std::string service : {"vioscsi", "pvscsi"}) {
        const std::string key = "\\ControlSet001\\Services\\" + service;
        CHECK(hivexget(hive, key, "Type") == "1\n");
        CHECK(hivexget(hive, key, "Start") == "0\n");
        CHECK(hivexget(hive, key, "ErrorControl") == "1\n");
        CHECK(hivexget(hive, key, "Group") == "SCSI miniport\n");
        CHECK(hivexget(hive, key, "ImagePath") == "System32\\drivers\\" + service + ".sys\n");
        CHECK(hivexget(hive, key, "Owners") == service + ".inf\n\n");  // hivexget ends a MULTI_SZ with an empty line
    }
    CHECK(hivexget(hive, "\\ControlSet001\\Services\\vioscsi\\Parameters", "BusType") == "10\n");
    // ... and bound to their IDs in DriverDatabase, with labels of the real form.
    const std::string label = "vioscsi.inf_amd64_0000000000000000";
    CHECK(hivexget(hive, "\\DriverDatabase\\DriverInfFiles\\vioscsi.inf", "Active") == label + "\n");
    CHECK(hivexget(hive, "\\DriverDatabase\\DriverInfFiles\\vioscsi.inf", "Configurations") == "scsi_inst\n\n");
    CHECK_THAT(hivexget(hive, "\\DriverDatabase\\DeviceIds\\PCI\\VEN_1AF4&DEV_1004"), Catch::Contains("\"vioscsi.inf\"=hex(3):02,ff,00,00"));
    CHECK_THAT(hivexget(hive, "\\DriverDatabase\\DeviceIds\\PCI\\VEN_1AF4&DEV_1048&SUBSYS_11001AF4&REV_01"),
               Catch::Contains("\"vioscsi.inf\"=hex(3):01,ff,00,00"));
    CHECK(hivexget(hive, "\\DriverDatabase\\DriverPackages\\" + label + "\\Configurations\\scsi_inst", "Service") == "vioscsi\n");
    CHECK(hivexget(hive, "\\DriverDatabase\\DriverPackages\\" + label + "\\Descriptors\\PCI\\VEN_1AF4&DEV_1004", "Configuration") ==
          "scsi_inst\n");
    CHECK_THAT(hivexget(hive, "\\DriverDatabase\\DriverPackages\\" + label),
               Catch::Contains("\"Version\"=hex(3):00,ff,09,00,00,00,00,00,7b,e9,36,4d,25,e3,ce,11,bf,c1,08,00,2b,e1,03,18"));
    // pvscsi's DriverVer 03/15/2019,1.3.15.0: FILETIME (152744 days after 1601-01-01, as
    // Python's datetime counts them) then revision, build, minor, major.
    CHECK_THAT(hivexget(hive, "\\DriverDatabase\\DriverPackages\\pvscsi.inf_amd64_0000000000000000"),
               Catch::Contains("00,00,66,08,c2,da,d4,01,00,00,0f,00,03,00,01,00,00,00,00,00,00,00,00,00"));
    CHECK_THAT(hivexget(hive, "\\DriverDatabase\\DeviceIds\\PCI\\VEN_15AD&DEV_07C0"), Catch::Contains("\"pvscsi.inf\"=hex(3):01,ff,00,00"));
    // What was there stays: the in-box LSI SAS binding and service.
    CHECK(hivexget(hive, "\\ControlSet001\\Services\\LSI_SAS") == hivexget(before, "\\ControlSet001\\Services\\LSI_SAS"));
    CHECK(hivexget(hive, "\\DriverDatabase\\DeviceIds\\PCI\\VEN_1000&DEV_0054") ==
          hivexget(before, "\\DriverDatabase\\DeviceIds\\PCI\\VEN_1000&DEV_0054"));
    // The files, the staged package, the saved hive marked clean, the volume sound.
    CHECK(run("ntfscat " + sh_quote(partition) + " /Windows/System32/drivers/vioscsi.sys").out == pe_driver(0x8664));
    CHECK(run("ntfscat " + sh_quote(partition) + " /Windows/System32/drivers/pvscsi.sys").out == pe_driver(0x8664));
    CHECK_THAT(run("ntfscat " + sh_quote(partition) + " /Windows/System32/DriverStore/FileRepository/" + label + "/vioscsi.inf").out,
               Catch::Contains("PCI\\VEN_1AF4&DEV_1004&SUBSYS_00081AF4&REV_00"));
    CHECK_THAT(run("ntfsls -p /Windows/System32/config " + sh_quote(partition)).out, !Catch::Contains("dagda-backup"));
    CHECK(file_range(hive, 4, 4) == file_range(hive, 8, 4));
    CHECK(run("ntfsfix -n " + sh_quote(partition)).exit_code == 0);

    // A second run finds nothing left to do.
    const RunResult again = inoculate(disk, "--for virtio-scsi --for vmware-pvscsi --drivers " + sh_quote(drivers) + " --yes");
    CHECK(again.exit_code == 0);
    CHECK_THAT(again.out, Catch::Contains("0 registry changes"));
}

namespace {

/// A Windows 7 x64 volume (CriticalDeviceDatabase, two control sets) with Parallels leftovers:
/// the prl_strg disk filter in LowerFilters beside PartMgr.
std::string windows7_volume(const TempDir& dir, const std::string& name, const std::vector<std::pair<std::string, std::string>>& files = {}) {
    const std::string leftovers =
        "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\prl_strg]\n\"Start\"=dword:00000000\n\"Type\"=dword:00000001\n\n"
        "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\PartMgr]\n\"Start\"=dword:00000000\n\"Type\"=dword:00000001\n\n"
        "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Class]\n\n"
        "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Class\\{4D36E967-E325-11CE-BFC1-08002BE10318}]\n"
        "\"UpperFilters\"=hex(7):50,00,61,00,72,00,74,00,4d,00,67,00,72,00,00,00,00,00\n"
        "\"LowerFilters\"=hex(7):50,00,61,00,72,00,74,00,4d,00,67,00,72,00,00,00,70,00,72,00,6c,00,5f,00,73,00,74,00,72,00,67,00,00,00,00,00\n\n";
    WindowsVolumeSpec spec;
    spec.system_hive = make_hive(dir, "win7-SYSTEM-prl", windows7_system_hive(dir), "HKEY_LOCAL_MACHINE\\SYSTEM", leftovers);
    spec.software_hive = windows7_software_hive(dir);
    spec.files = files;
    return make_windows_volume(dir, name, spec);
}

}  // namespace

TEST_CASE("inoculate: Windows 7 through CriticalDeviceDatabase: in-box AHCI, virtio-blk from a package, old filters gone",
          "[windows][inoculate][integration]") {
    TempDir dir;
    REQUIRE_WINDOWS_TOOLS(dir);
    const std::string volume = windows7_volume(dir, "win7.raw");
    const std::string drivers = driver_folder(dir);
    const RunResult result = inoculate(volume, "--for ahci --for vmware-lsisas --for virtio-blk --drivers " + sh_quote(drivers) + " --yes");
    INFO(result.out << result.err);
    REQUIRE(result.exit_code == 0);
    const std::string hive = system_hive_of(dir, volume, "SYSTEM");
    // In-box AHCI: msahci from demand start (3) to boot, bound to the AHCI class code.
    CHECK(hivexget(hive, "\\ControlSet001\\Services\\msahci", "Start") == "0\n");
    CHECK(hivexget(hive, "\\ControlSet001\\Control\\CriticalDeviceDatabase\\PCI#CC_010601", "Service") == "msahci\n");
    CHECK(hivexget(hive, "\\ControlSet001\\Control\\CriticalDeviceDatabase\\PCI#CC_010601", "ClassGUID") ==
          "{4D36E96A-E325-11CE-BFC1-08002BE10318}\n");
    // In-box LSI SAS was already bound (in lower case): left as it was, not duplicated.
    CHECK(hivexget(hive, "\\ControlSet001\\Control\\CriticalDeviceDatabase\\pci#ven_1000&dev_0054", "Service") == "LSI_SAS\n");
    // virtio-blk from the package, in both control sets Select names (Current 1, LastKnownGood 2).
    for (const std::string set : {"ControlSet001", "ControlSet002"}) {
        CHECK(hivexget(hive, "\\" + set + "\\Services\\viostor", "Start") == "0\n");
        CHECK(hivexget(hive, "\\" + set + "\\Services\\viostor", "ImagePath") == "System32\\drivers\\viostor.sys\n");
        CHECK(hivexget(hive, "\\" + set + "\\Control\\CriticalDeviceDatabase\\PCI#VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00", "Service") ==
              "viostor\n");
        CHECK(hivexget(hive, "\\" + set + "\\Control\\CriticalDeviceDatabase\\PCI#VEN_1AF4&DEV_1042", "ClassGUID") ==
              "{4D36E97B-E325-11CE-BFC1-08002BE10318}\n");
    }
    CHECK_FALSE(has_key(hive, "\\DriverDatabase"));  // never created on Windows 7
    // Parallels' storage filter is disabled and dropped from the disk class; PartMgr stays.
    CHECK(hivexget(hive, "\\ControlSet001\\Services\\prl_strg", "Start") == "4\n");
    const std::string disk_class = "\\ControlSet001\\Control\\Class\\{4D36E967-E325-11CE-BFC1-08002BE10318}";
    CHECK(hivexget(hive, disk_class, "LowerFilters") == "PartMgr\n\n");
    CHECK(hivexget(hive, disk_class, "UpperFilters") == "PartMgr\n\n");
    CHECK(run("ntfscat " + sh_quote(volume) + " /Windows/System32/drivers/viostor.sys").out == pe_driver(0x8664));
    CHECK(run("ntfsfix -n " + sh_quote(volume)).exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("set SYSTEM\\ControlSet001\\Services\\msahci Start = REG_DWORD 0x00000000 (0)") &&
                               Catch::Contains("(was REG_DWORD 0x00000003 (3))"));
}

TEST_CASE("inoculate: a dry run prints every change and writes nothing", "[windows][inoculate][integration]") {
    TempDir dir;
    REQUIRE_WINDOWS_TOOLS(dir);
    const std::string volume = windows7_volume(dir, "win7.raw");
    const std::string drivers = driver_folder(dir);
    const std::string before = file_digest(volume);
    const RunResult result = inoculate(volume, "--for virtio-blk --drivers " + sh_quote(drivers) + " --dry-run");
    INFO(result.err);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("create /Windows/System32/drivers/viostor.sys from "));
    CHECK_THAT(result.out, Catch::Contains("set SYSTEM\\ControlSet001\\Services\\viostor Start = REG_DWORD 0x00000000 (0)"));
    CHECK_THAT(result.out, Catch::Contains("Dry run: nothing was written."));
    CHECK(file_digest(volume) == before);
}

TEST_CASE("inoculate: bad drivers, volumes and hives are refused and nothing is written", "[windows][inoculate][integration]") {
    TempDir dir;
    REQUIRE_WINDOWS_TOOLS(dir);
    const auto refused = [&](const std::string& volume, const std::string& arguments, int code, const std::string& says) {
        const std::string before = file_digest(volume);
        const RunResult result = inoculate(volume, arguments);
        INFO(arguments << "\n" << result.out << result.err);
        CHECK(result.exit_code == code);
        CHECK_THAT(result.err, Catch::Contains(says));
        CHECK(file_digest(volume) == before);
    };
    const std::string volume = windows7_volume(dir, "win7.raw");

    SECTION("a driver built for another architecture") {
        TempDir other;
        const std::string drivers = driver_folder(other, 0x014c);
        refused(volume, "--for virtio-blk --drivers " + sh_quote(drivers) + " --yes", 3, "built for x86, but this Windows is amd64");
    }
    SECTION("an out-of-box target without its package") {
        refused(volume, "--for virtio-scsi --yes", 3, "virtio-scsi");
    }
    SECTION("a malformed INF among the packages") {
        const std::string drivers = driver_folder(dir);
        put(fs::path(drivers) / "broken/broken.inf", "[Version]\nSignature=\"$Windows NT$\"\n[Manufacturer\n");
        refused(volume, "--for virtio-blk --drivers " + sh_quote(drivers) + " --yes", 1, "broken.inf:3:");
    }
    SECTION("a folder with no package for this Windows") {
        TempDir empty;
        fs::create_directories(empty.path() / "drv");
        refused(volume, "--drivers " + sh_quote(empty.file("drv")) + " --yes", 1, "no boot-storage driver package");
    }
    SECTION("an image file without an identity assertion") {
        refused(volume, "--for ahci", 3, "--yes");
    }
    SECTION("an unknown target name") {
        refused(volume, "--for floppy --yes", 2, "the catalog knows: vmware-pvscsi");
    }
    SECTION("a hibernated Windows with --remove-hiberfile keeps its hibernation file when the plan is refused") {
        TempDir other;
        const std::string drivers = driver_folder(other, 0x014c);
        const std::string hibernated = windows7_volume(dir, "hib-refused.raw", {{"/hiberfil.sys", "HIBR" + std::string(8188, '\0')}});
        refused(hibernated, "--for virtio-blk --drivers " + sh_quote(drivers) + " --yes --remove-hiberfile", 3, "built for x86");
        CHECK_THAT(run("ntfsls " + sh_quote(hibernated)).out, Catch::Contains("hiberfil.sys"));
    }
    SECTION("a service that would start a file the package does not copy") {
        const std::string drivers = driver_folder(dir);
        std::string inf = pvscsi_inf;
        inf.replace(inf.find("ServiceBinary = %12%"), 20, "ServiceBinary = %13%");
        put(fs::path(drivers) / "vmware/pvscsi/win8/amd64/pvscsi.inf", inf);
        refused(volume, "--for vmware-pvscsi --drivers " + sh_quote(drivers) + " --yes", 3, "which the package does not copy");
    }
    SECTION("a hibernated Windows, unless --remove-hiberfile") {
        const std::string hibernated = windows7_volume(dir, "hibernated.raw", {{"/hiberfil.sys", "HIBR" + std::string(8188, '\0')}});
        refused(hibernated, "--for ahci --yes", 3, "--remove-hiberfile");
        const RunResult removed = inoculate(hibernated, "--for ahci --yes --remove-hiberfile");
        INFO(removed.err);
        CHECK(removed.exit_code == 0);
        CHECK_THAT(run("ntfsls " + sh_quote(hibernated)).out, !Catch::Contains("hiberfil.sys"));
    }
    SECTION("a damaged SYSTEM hive") {
        WindowsVolumeSpec spec;
        const std::string system = windows7_system_hive(dir);
        std::string bytes = file_range(system, 0, static_cast<std::size_t>(fs::file_size(system)));
        bytes[0x30] = static_cast<char>(bytes[0x30] ^ 0x40);  // the header checksum no longer matches
        spec.software_hive = windows7_software_hive(dir);
        spec.files = {{"/Windows/System32/config/SYSTEM", bytes}};
        refused(make_windows_volume(dir, "damaged.raw", spec), "--for ahci --yes", 1, "checksum");
    }
    SECTION("a dirty hive whose transaction logs hold changes") {
        WindowsVolumeSpec spec;
        spec.system_hive = windows81_system_hive(dir);
        spec.software_hive = windows2012r2_software_hive(dir);
        spec.size = 96ull << 20;
        spec.files = {{"/Windows/System32/config/SYSTEM.LOG1", std::string(4096, 'L')}};
        refused(make_windows_volume(dir, "logs.raw", spec), "--for ahci --yes", 3, "transaction logs");
    }
    SECTION("a volume without Windows") {
        WindowsVolumeSpec spec;
        refused(make_windows_volume(dir, "empty.raw", spec), "--for ahci --yes", 1, "no Windows on this volume");
    }
}

TEST_CASE("inoculate: an old StartOverride of an out-of-box driver goes - of several builds the newest is used",
          "[windows][inoculate][integration]") {
    TempDir dir;
    REQUIRE_WINDOWS_TOOLS(dir);
    // A Windows 8.1 that once ran on VMware: pvscsi is there, demand-start, and overridden off.
    const std::string override_reg =
        "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\pvscsi]\n\"Start\"=dword:00000003\n\"Type\"=dword:00000001\n\n"
        "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\pvscsi\\StartOverride]\n\"0\"=dword:00000003\n\n";
    WindowsVolumeSpec spec;
    spec.system_hive = make_hive(dir, "SYSTEM-pvscsi", windows81_system_hive(dir), "HKEY_LOCAL_MACHINE\\SYSTEM", override_reg);
    spec.software_hive = windows2012r2_software_hive(dir);
    spec.size = 96ull << 20;
    const std::string volume = make_windows_volume(dir, "w81.raw", spec);
    // Two builds of the PVSCSI package; the one that sorts first by path is the older.
    const fs::path drivers = dir.path() / "drv";
    std::string old_inf = pvscsi_inf;
    old_inf.replace(old_inf.find("03/15/2019,1.3.15.0"), 19, "01/01/2010,1.0.0.0");
    put(drivers / "a-old/pvscsi.inf", old_inf);
    put(drivers / "a-old/pvscsi.sys", pe_driver(0x8664) + "old");
    put(drivers / "b-new/pvscsi.inf", pvscsi_inf);
    put(drivers / "b-new/pvscsi.sys", pe_driver(0x8664) + "new");

    const RunResult result = inoculate(volume, "--drivers " + sh_quote(drivers.string()) + " --yes");
    INFO(result.out << result.err);
    REQUIRE(result.exit_code == 0);
    const std::string hive = system_hive_of(dir, volume, "SYSTEM");
    CHECK(hivexget(hive, "\\ControlSet001\\Services\\pvscsi", "Start") == "0\n");
    CHECK_FALSE(has_key(hive, "\\ControlSet001\\Services\\pvscsi\\StartOverride"));
    CHECK(run("ntfscat " + sh_quote(volume) + " /Windows/System32/drivers/pvscsi.sys").out == pe_driver(0x8664) + "new");
    CHECK_THAT(hivexget(hive, "\\DriverDatabase\\DriverPackages\\pvscsi.inf_amd64_0000000000000000"),
               Catch::Contains("0f,00,03,00,01,00"));  // version 1.3.15.0, not 1.0.0.0
}
