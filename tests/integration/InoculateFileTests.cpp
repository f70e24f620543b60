// dagda inoculate and the files a driver package names (issue 13, item 6): a package goes only
// where a boot driver belongs, never replaces a file that is not its driver's own older copy,
// keeps what it replaces, and its dry run says which files it would replace. Real binary, real
// NTFS images (mkntfs), real and phony hives, checked with ntfscat and ntfsls.

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

RunResult inoculate(const std::string& target, const std::string& arguments) {
    return run(dagda_command() + " inoculate " + sh_quote(target) + " " + arguments);
}

std::string ntfscat(const std::string& volume, const std::string& path) {
    return run("ntfscat " + sh_quote(volume) + " " + sh_quote(path) + " 2>/dev/null").out;
}

/// A PVSCSI-like boot-start SCSI miniport INF named `name` installing service `service` from
/// `<service>.sys` into System32\drivers, plus `extra_dirs` DestinationDirs lines and the
/// file-list sections `extra_lists` ("section" -> file) it also copies.
std::string package_inf(const std::string& service, const std::vector<std::pair<std::string, std::string>>& extra_lists = {},
                        const std::string& extra_dirs = "") {
    std::string copy = "CopyFiles = driver_files";
    std::string lists;
    std::string sources = service + ".sys = 1,,\r\n";
    for (const auto& [section, file] : extra_lists) {
        copy += ", " + section;
        lists += "[" + section + "]\r\n" + file + "\r\n\r\n";
        sources += file + " = 1,,\r\n";
    }
    return "[Version]\r\nSignature=\"$WINDOWS NT$\"\r\nClass=SCSIAdapter\r\nClassGUID={4D36E97B-E325-11CE-BFC1-08002BE10318}\r\n"
           "Provider=%Vendor%\r\nDriverVer=03/15/2019,1.3.15.0\r\nCatalogFile=" + service + ".cat\r\n\r\n"
           "[SourceDisksNames]\r\n1 = %Disk%,,,\"\"\r\n\r\n[SourceDisksFiles]\r\n" + sources + "\r\n"
           "[DestinationDirs]\r\nDefaultDestDir = 12\r\n" + extra_dirs + "\r\n"
           "[Manufacturer]\r\n%Vendor% = Vendor, NTamd64\r\n\r\n"
           "[Vendor.NTamd64]\r\n%Desc% = inst, PCI\\VEN_15AD&DEV_07C0\r\n\r\n"
           "[inst]\r\n" + copy + "\r\n\r\n[driver_files]\r\n" + service + ".sys\r\n\r\n" + lists +
           "[inst.Services]\r\nAddService = " + service + ", 0x00000002, service_install\r\n\r\n"
           "[service_install]\r\nServiceType = 1\r\nStartType = 0\r\nErrorControl = 1\r\nServiceBinary = %12%\\" + service + ".sys\r\n"
           "LoadOrderGroup = SCSI miniport\r\n\r\n"
           "[Strings]\r\nVendor = \"Test Vendor\"\r\nDisk = \"disk 1\"\r\nDesc = \"Paravirtual SCSI controller\"\r\n";
}

/// A .reg MULTI_SZ (hex(7)) of one ASCII string.
std::string multi_sz(const std::string& text) {
    std::string out = "hex(7):";
    char byte[8];
    for (const char c : text) {
        std::snprintf(byte, sizeof byte, "%02x,00,", static_cast<unsigned char>(c));
        out += byte;
    }
    return out + "00,00,00,00";
}

/// The service key Windows (or an earlier inoculation) left for `service`, owned by `owner`.
std::string service_reg(const std::string& service, const std::string& owner) {
    return "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\" + service + "]\n\"Start\"=dword:00000003\n\"Type\"=dword:00000001\n"
           "\"ImagePath\"=\"System32\\\\drivers\\\\" + service + ".sys\"\n" +
           (owner.empty() ? "" : "\"Owners\"=" + multi_sz(owner) + "\n") + "\n";
}

/// A Windows 8.1 x64 volume (the real SYSTEM hive) with `reg` merged into SYSTEM and `files`.
std::string windows81_volume(const TempDir& dir, const std::string& name, const std::string& reg,
                             const std::vector<std::pair<std::string, std::string>>& files) {
    WindowsVolumeSpec spec;
    spec.system_hive = reg.empty() ? windows81_system_hive(dir)
                                   : make_hive(dir, name + "-SYSTEM", windows81_system_hive(dir), "HKEY_LOCAL_MACHINE\\SYSTEM", reg);
    spec.software_hive = windows2012r2_software_hive(dir);
    spec.size = 96ull << 20;
    spec.files = files;
    return make_windows_volume(dir, name, spec);
}

#define REQUIRE_WINDOWS_TOOLS(dir)                                                          \
    if (!windows_tools_present(dir) || !have_program("ntfscat") || !have_program("ntfsls")) FAIL("missing: hivexregedit, mkntfs, ntfs-3g tools or ../shared/fixtures");

}  // namespace

TEST_CASE("inoculate: a package that copies outside System32/drivers is refused, utilman.exe and SAM untouched",
          "[windows][inoculate][safety][integration]") {
    TempDir dir;
    REQUIRE_WINDOWS_TOOLS(dir);
    WindowsVolumeSpec spec;
    spec.system_hive = windows7_system_hive(dir);
    spec.software_hive = windows7_software_hive(dir);
    spec.files = {{"/Windows/System32/utilman.exe", "genuine utilman"}, {"/Windows/System32/config/SAM", "genuine SAM"}};
    const std::string volume = make_windows_volume(dir, "win7.raw", spec);
    // The hostile package of the review: dirid 11 and 11,config, a 1-byte catalog.
    const fs::path drivers = dir.path() / "drv";
    put(drivers / "pvscsi.inf",
        package_inf("pvscsi", {{"tools", "utilman.exe"}, {"hive", "SAM"}}, "tools = 11\r\nhive = 11,config\r\n"));
    put(drivers / "pvscsi.sys", pe_driver(0x8664));
    put(drivers / "utilman.exe", "evil utilman");
    put(drivers / "SAM", "evil SAM");
    put(drivers / "pvscsi.cat", "c");
    const std::string before = file_digest(volume);

    for (const std::string mode : {"--dry-run", "--yes"}) {
        const RunResult result = inoculate(volume, "--for vmware-pvscsi --drivers " + sh_quote(drivers.string()) + " " + mode);
        INFO(mode << "\n" << result.out << result.err);
        CHECK(result.exit_code == 3);
        CHECK_THAT(result.err, Catch::Contains("utilman.exe") && Catch::Contains("System32\\utilman.exe") &&
                                   Catch::Contains("dirid 11") && Catch::Contains("nothing was written"));
    }
    CHECK(file_digest(volume) == before);
    CHECK(ntfscat(volume, "/Windows/System32/utilman.exe") == "genuine utilman");
    CHECK(ntfscat(volume, "/Windows/System32/config/SAM") == "genuine SAM");

    // The SAM alone (11,config) is refused the same way, and so is a .sys in a subfolder of
    // System32\drivers and a catalog named with a path.
    put(drivers / "pvscsi.inf", package_inf("pvscsi", {{"hive", "SAM"}}, "hive = 11,config\r\n"));
    RunResult result = inoculate(volume, "--for vmware-pvscsi --drivers " + sh_quote(drivers.string()) + " --yes");
    CHECK(result.exit_code == 3);
    CHECK_THAT(result.err, Catch::Contains("System32\\config\\SAM"));
    put(drivers / "pvscsi.inf", package_inf("pvscsi", {{"deep", "other.sys"}}, "deep = 12,etc\r\n"));
    put(drivers / "other.sys", pe_driver(0x8664));
    result = inoculate(volume, "--for vmware-pvscsi --drivers " + sh_quote(drivers.string()) + " --yes");
    CHECK(result.exit_code == 3);
    CHECK_THAT(result.err, Catch::Contains("System32\\drivers\\etc\\other.sys"));
    std::string inf = package_inf("pvscsi");
    inf.replace(inf.find("CatalogFile=pvscsi.cat"), 22, "CatalogFile=..\\..\\..\\config\\SAM");
    put(drivers / "pvscsi.inf", inf);
    result = inoculate(volume, "--for vmware-pvscsi --drivers " + sh_quote(drivers.string()) + " --yes");
    INFO(result.out << result.err);
    CHECK(result.exit_code != 0);
    CHECK_THAT(result.err, Catch::Contains("CatalogFile"));
    CHECK(file_digest(volume) == before);
}

TEST_CASE("inoculate: an existing driver file is replaced only when it is its driver's own older copy, and is kept",
          "[windows][inoculate][safety][integration]") {
    TempDir dir;
    REQUIRE_WINDOWS_TOOLS(dir);
    const fs::path drivers = dir.path() / "drv";
    put(drivers / "pvscsi/pvscsi.inf", package_inf("pvscsi"));
    put(drivers / "pvscsi/pvscsi.sys", pe_driver(0x8664) + "new");
    const std::string arguments = "--for vmware-pvscsi --drivers " + sh_quote((drivers / "pvscsi").string());
    const std::string old_sys = pe_driver(0x8664) + "old";

    SECTION("pvscsi's own older copy: the dry run says replace, the run keeps the old one beside it") {
        const std::string volume =
            windows81_volume(dir, "own.raw", service_reg("pvscsi", "pvscsi.inf"), {{"/Windows/System32/drivers/pvscsi.sys", old_sys}});
        const std::string before = file_digest(volume);
        const RunResult dry = inoculate(volume, arguments + " --dry-run");
        INFO(dry.out << dry.err);
        REQUIRE(dry.exit_code == 0);
        CHECK_THAT(dry.out, Catch::Contains("replace /Windows/System32/drivers/pvscsi.sys") &&
                                Catch::Contains("/Windows/System32/drivers/pvscsi.sys.dagda-replaced") &&
                                Catch::Contains("create /Windows/System32/DriverStore/FileRepository/pvscsi.inf_amd64_0000000000000000/pvscsi.inf"));
        CHECK(file_digest(volume) == before);

        const RunResult done = inoculate(volume, arguments + " --yes");
        INFO(done.out << done.err);
        REQUIRE(done.exit_code == 0);
        CHECK(ntfscat(volume, "/Windows/System32/drivers/pvscsi.sys") == pe_driver(0x8664) + "new");
        CHECK(ntfscat(volume, "/Windows/System32/drivers/pvscsi.sys.dagda-replaced") == old_sys);
        CHECK(run("ntfsfix -n " + sh_quote(volume)).exit_code == 0);

        // Again: the file is already there; nothing is replaced, the kept original stays.
        const RunResult again = inoculate(volume, arguments + " --yes");
        INFO(again.out << again.err);
        REQUIRE(again.exit_code == 0);
        CHECK_THAT(again.out, Catch::Contains("keep /Windows/System32/drivers/pvscsi.sys") && !Catch::Contains("replace "));
        CHECK(ntfscat(volume, "/Windows/System32/drivers/pvscsi.sys.dagda-replaced") == old_sys);
        CHECK_THAT(run("ntfsls " + sh_quote(volume) + " -p /Windows/System32/drivers").out, !Catch::Contains("dagda-replaced.2"));

        // A newer build replaces dagda's earlier copy (the hive now records pvscsi.inf as its
        // owner), and the first original is not overwritten.
        put(drivers / "pvscsi/pvscsi.sys", pe_driver(0x8664) + "newer");
        const RunResult newer = inoculate(volume, arguments + " --yes");
        INFO(newer.out << newer.err);
        REQUIRE(newer.exit_code == 0);
        CHECK(ntfscat(volume, "/Windows/System32/drivers/pvscsi.sys") == pe_driver(0x8664) + "newer");
        CHECK(ntfscat(volume, "/Windows/System32/drivers/pvscsi.sys.dagda-replaced") == old_sys);
        CHECK(ntfscat(volume, "/Windows/System32/drivers/pvscsi.sys.dagda-replaced.2") == pe_driver(0x8664) + "new");
    }
    SECTION("a file of the same name that no pvscsi service of this Windows owns is refused") {
        for (const std::string& reg : {std::string(), service_reg("pvscsi", "oem7.inf"), service_reg("pvscsi", "")}) {
            const std::string volume = windows81_volume(dir, "other.raw", reg, {{"/Windows/System32/drivers/pvscsi.sys", old_sys}});
            const std::string before = file_digest(volume);
            for (const std::string mode : {"--dry-run", "--yes"}) {
                const RunResult result = inoculate(volume, arguments + " " + mode);
                INFO(reg << mode << "\n" << result.out << result.err);
                CHECK(result.exit_code == 3);
                CHECK_THAT(result.err, Catch::Contains("System32\\drivers\\pvscsi.sys") && Catch::Contains("not pvscsi.inf's own older copy"));
            }
            CHECK(file_digest(volume) == before);
        }
    }
    SECTION("a package that calls itself a Windows driver (disk.inf, service disk) never replaces Windows' disk.sys") {
        put(drivers / "disk/disk.inf", package_inf("disk"));
        put(drivers / "disk/disk.sys", pe_driver(0x8664) + "evil");
        const std::string volume = windows81_volume(dir, "inbox.raw", service_reg("disk", "disk.inf"),
                                                    {{"/Windows/System32/drivers/disk.sys", pe_driver(0x8664) + "Microsoft"},
                                                     {"/Windows/INF/disk.inf", "[Version]\r\n"}});
        const std::string before = file_digest(volume);
        const RunResult result = inoculate(volume, "--drivers " + sh_quote((drivers / "disk").string()) + " --yes");
        INFO(result.out << result.err);
        CHECK(result.exit_code == 3);
        CHECK_THAT(result.err, Catch::Contains("System32\\drivers\\disk.sys") && Catch::Contains("Windows' own"));
        CHECK(file_digest(volume) == before);
    }
}
