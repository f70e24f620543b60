// Choosing what serves a target Windows: [Manufacturer] TargetOSVersion decorations, DDInstall
// platform variants, and stamping of templates.

#include "windows/inf/DriverPackage.hpp"

#include <catch2/catch.hpp>

using namespace dagda::windows::inf;

namespace {

// One Models section per decoration; each device's hardware ID says which section it came from.
const std::string decorated_inf = R"([Version]
Signature="$Windows NT$"
Class=SCSIAdapter
[Manufacturer]
%Mfg% = Models, NTamd64, NTamd64.10.0...16299, NTx86, NTarm64, NTamd64.6.3.3, NTamd64.6.1.1.0x10
[Models.NTamd64]
%D% = inst, ID\amd64
[Models.NTamd64.10.0...16299]
%D% = inst, ID\amd64-16299
[Models.NTx86]
%D% = inst, ID\x86
[Models.NTarm64]
%D% = inst, ID\arm64
[Models.NTamd64.6.3.3]
%D% = inst, ID\amd64-server-2012r2
[Models.NTamd64.6.1.1.0x10]
%D% = inst, ID\amd64-suite
[inst.NTamd64]
[inst.NT]
[inst]
[Strings]
Mfg = "M"
D = "Device"
)";

struct Case {
    TargetWindows target;
    std::string decoration;
    std::string install_section;
};

}  // namespace

TEST_CASE("INF decorations: the most specific TargetOSVersion that fits the target wins", "[inf][decoration]") {
    const InfFile inf = parse_inf_text(decorated_inf, "deco.inf");
    const Case cases[] = {
        {{10, 0, 19045, "amd64", false}, "NTamd64.10.0...16299", "inst.NTamd64"},
        {{10, 0, 16299, "amd64", false}, "NTamd64.10.0...16299", "inst.NTamd64"},
        {{10, 0, 15063, "amd64", false}, "NTamd64", "inst.NTamd64"},
        {{6, 3, 9600, "amd64", true}, "NTamd64.6.3.3", "inst.NTamd64"},
        {{6, 3, 9600, "amd64", false}, "NTamd64", "inst.NTamd64"},  // 6.3.3 is for servers only
        {{6, 1, 7601, "amd64", false}, "NTamd64", "inst.NTamd64"},  // the suite-mask entry is never taken
        {{10, 0, 22631, "arm64", false}, "NTarm64", "inst.NT"},
        {{6, 1, 7601, "x86", false}, "NTx86", "inst.NT"},
        {{10, 0, 19045, "AMD64", true}, "NTamd64.10.0...16299", "inst.NTamd64"},
    };
    for (const Case& c : cases) {
        INFO(describe(c.target));
        const DriverPackage package = driver_package(inf, c.target);
        CHECK(package.decoration == c.decoration);
        REQUIRE(package.devices.size() == 1);
        CHECK(package.devices[0].models_section == "Models." + c.decoration);
        REQUIRE(package.installations.size() == 1);
        CHECK(package.installations[0].section == c.install_section);
    }
}

TEST_CASE("INF decorations: none fitting is an error naming the target and what is offered", "[inf][decoration]") {
    const InfFile inf = parse_inf_text(decorated_inf, "deco.inf");
    CHECK_THROWS_WITH(driver_package(inf, TargetWindows{10, 0, 19045, "ia64", false}),
                      Catch::Contains("deco.inf:4: no [Manufacturer] entry fits Windows 10.0.19045 ia64") &&
                          Catch::Contains("NTamd64.10.0...16299"));
    CHECK_THROWS_WITH(driver_package(inf, TargetWindows{10, 0, 19045, "sparc", false}),
                      Catch::Contains("unknown Windows architecture \"sparc\""));

    // Only a Windows 10 1709 section: Windows 8.1 amd64 gets nothing.
    const InfFile newer = parse_inf_text(R"([Version]
Signature="$Windows NT$"
[Manufacturer]
%M% = Models, NTamd64.10.0...16299
[Models.NTamd64.10.0...16299]
%M% = inst, ID\x
[inst]
)",
                                         "newer.inf");
    CHECK_THROWS_WITH(driver_package(newer, TargetWindows{6, 3, 9600, "amd64", false}),
                      Catch::Contains("newer.inf:3: no [Manufacturer] entry fits"));
}

TEST_CASE("INF decorations: an undecorated Models section serves x86 only", "[inf][decoration]") {
    const InfFile inf = parse_inf_text(R"([Version]
Signature="$Windows NT$"
[Manufacturer]
Models
[Models]
"Plain device" = inst, ID\plain
[inst]
)",
                                       "plain.inf");
    const DriverPackage package = driver_package(inf, TargetWindows{5, 1, 2600, "x86", false});
    CHECK(package.decoration.empty());
    CHECK(package.devices[0].description == "Plain device");
    CHECK(package.hardware_ids() == std::vector<std::string>{"ID\\plain"});
    CHECK_THROWS_WITH(driver_package(inf, TargetWindows{10, 0, 19045, "amd64", false}),
                      Catch::Contains("plain.inf:3: no [Manufacturer] entry fits") &&
                          Catch::Contains("undecorated Models only"));
}

TEST_CASE("INF decorations: parsing TargetOSVersion", "[inf][decoration]") {
    const OsDecoration d = parse_os_decoration("ntAMD64.10.0...16299");
    CHECK(d.valid);
    CHECK(d.arch == "amd64");
    CHECK(d.major == 10u);
    CHECK(d.minor == 0u);
    CHECK_FALSE(d.product_type);
    CHECK_FALSE(d.suite_mask);
    CHECK(d.build == 16299u);
    CHECK(parse_os_decoration("NT.6.1").arch.empty());
    CHECK_FALSE(parse_os_decoration("NTmips").valid);
    CHECK_FALSE(parse_os_decoration("Win98").valid);
    CHECK_FALSE(parse_os_decoration("NTamd64.ten").valid);
    CHECK(fits(parse_os_decoration("NT.6.1"), TargetWindows{6, 1, 7601, "x86", false}));
    CHECK_FALSE(fits(parse_os_decoration("NT.6.1"), TargetWindows{6, 1, 7601, "amd64", false}));
}

TEST_CASE("INF templates: $ARCH$ and INX_ tokens are stamped for the target", "[inf][decoration]") {
    const InfFile inf = parse_inf_text(R"([Version]
Signature="$Windows NT$"
[Manufacturer]
%M% = Models, NT$ARCH$
[Models.NT$ARCH$]
%M% = inst, PCI\VEN_1AF4&DEV_1001&SUBSYS_0002_INX_SUBSYS_VENDOR_ID
[inst.NT$ARCH$]
CopyFiles = files
[files]
x.sys
[DestinationDirs]
files = INX_PLATFORM_DRIVERS_DIR
[Strings]
M = "INX_COMPANY"
)",
                                       "t.inx");
    CHECK(inf.find("Models.NT$ARCH$") != nullptr);  // parsing alone does not stamp
    const DriverPackage arm = driver_package(inf, TargetWindows{10, 0, 22621, "arm64", false});
    CHECK(arm.inf_name == "t.inf");
    CHECK(arm.decoration == "NTarm64");
    CHECK(arm.installations[0].section == "inst.NTarm64");
    CHECK(arm.hardware_ids() == std::vector<std::string>{"PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4"});
    CHECK(arm.devices[0].description == "INX_COMPANY");  // other INX_ tokens stay as text
    CHECK(arm.files()[0].target_path == "System32\\DriverStore\\FileRepository\\t.inf_arm64_0000000000000000\\x.sys");
    const DriverPackage x86 = driver_package(inf, TargetWindows{10, 0, 19045, "x86", false});
    CHECK(x86.files()[0].target_path == "System32\\drivers\\x.sys");
    CHECK(platform_drivers_dirid(TargetWindows{10, 0, 21999, "amd64", false}) == 12);
    CHECK(platform_drivers_dirid(TargetWindows{10, 0, 26100, "amd64", true}) == 13);
}

TEST_CASE("INF packages: CopyFiles @file, renames, subfolders and registry types", "[inf][decoration]") {
    const InfFile inf = parse_inf_text(R"([Version]
Signature="$Windows NT$"
Class=Net
DriverVer=12/31/2023
CatalogFile=plain.cat
CatalogFile.NT=nt.cat
CatalogFile.NTamd64=amd64.cat
[Manufacturer]
%M% = Models, NTamd64
[Models.NTamd64]
%M% = inst, ID\a
%M% = inst, ID\b, ID\compat
%M% = inst, ID\a
[inst]
CopyFiles = @direct.sys, renamed
AddReg = values
[renamed]
new.dll, old.dll
[DestinationDirs]
DefaultDestDir = 11
renamed = 10, Vendor\Sub
[SourceDisksNames.amd64]
1 = "Disk",,,\x64
[SourceDisksFiles.amd64]
old.dll = 1, bin
[values]
HKLM, Software\Vendor, Multi, 0x00010000, "a", "b", ""
HKR, , Bin, 0x00000001, 01, ff, 0x10
HKR, , Qword, 0x000B0001, 1, 0, 0, 0, 0, 0, 0, 0
HKR, , Bytes, 0x00010001, 1, 2, 0, 0
HKR, , Deleted, 0x00020001
HKR, , Plain
[Strings]
M = "M"
)",
                                       "p.inf");
    const DriverPackage package = driver_package(inf, TargetWindows{10, 0, 19045, "amd64", false});
    CHECK(package.version.catalog_file == "amd64.cat");
    CHECK((package.version.year == 2023 && package.version.month == 12 && package.version.day == 31));
    CHECK(package.version.version == std::array<std::uint16_t, 4>{0, 0, 0, 0});
    CHECK(package.hardware_ids() == std::vector<std::string>{"ID\\a", "ID\\b"});
    CHECK(package.devices[1].compatible_ids == std::vector<std::string>{"ID\\compat"});
    CHECK_FALSE(package.boot_storage);
    CHECK(package.function_service() == nullptr);

    const std::vector<FileCopy> files = package.files();
    REQUIRE(files.size() == 2);
    CHECK(files[0].section.empty());
    CHECK(files[0].target_path == "System32\\direct.sys");
    CHECK(files[0].disk_id == 0);
    CHECK(files[1].source_name == "old.dll");
    CHECK(files[1].source_path == "x64/bin/old.dll");
    CHECK(files[1].disk_id == 1);
    CHECK(files[1].destination.subdir == "Vendor\\Sub");
    CHECK(files[1].target_path == "Vendor\\Sub\\new.dll");

    const std::vector<RegEntry>& values = package.installations[0].add_reg;
    REQUIRE(values.size() == 6);
    CHECK(values[0].root == RegRoot::hklm);
    CHECK(std::string(to_string(values[0].root)) == "HKLM");
    CHECK(values[0].type == ValueType::multi_sz);
    CHECK(values[0].strings == std::vector<std::string>{"a", "b"});
    CHECK(values[1].type == ValueType::binary);
    CHECK(values[1].bytes == std::vector<std::uint8_t>{0x01, 0xFF, 0x10});
    CHECK(values[2].type == ValueType::qword);
    CHECK(values[2].bytes == std::vector<std::uint8_t>{1, 0, 0, 0, 0, 0, 0, 0});
    CHECK(values[3].type == ValueType::dword);
    CHECK(values[3].dword == 0x0201);
    CHECK(values[4].type == ValueType::none);
    CHECK(values[4].bytes.empty());
    CHECK(values[5].type == ValueType::sz);
    CHECK(values[5].strings == std::vector<std::string>{""});
}
