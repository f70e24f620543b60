// The inoculation plan on a synthetic Windows 8.1 volume: what --auto picks for a machine's
// controllers, the catalog's rules, and the pure pieces (version blob, PE machine, ID matching).

#include "core/Error.hpp"
#include "core/UniqueFd.hpp"
#include "windows/inoculate/BootBinding.hpp"
#include "windows/inoculate/DriverCatalog.hpp"
#include "windows/inoculate/DriverFolder.hpp"
#include "windows/inoculate/InoculationPlan.hpp"
#include "windows/ntfs/NtfsVolume.hpp"

#include "common/TempDir.hpp"
#include "common/WindowsVolume.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>

#include <filesystem>
#include <fstream>

using namespace dagda;
using namespace dagda::windows;
using dagda::testing::TempDir;

namespace {

std::vector<std::uint8_t> pe_image(std::uint16_t machine) {
    std::vector<std::uint8_t> image(512, 0);
    image[0] = 'M';
    image[1] = 'Z';
    image[0x3C] = 0x80;
    image[0x80] = 'P';
    image[0x81] = 'E';
    image[0x84] = static_cast<std::uint8_t>(machine & 0xFF);
    image[0x85] = static_cast<std::uint8_t>(machine >> 8);
    return image;
}

void put(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

const std::vector<std::string> virtio_scsi_controller{"PCI\\VEN_1AF4&DEV_1004&SUBSYS_00081AF4&REV_00", "PCI\\VEN_1AF4&DEV_1004&SUBSYS_00081AF4",
                                                      "PCI\\VEN_1AF4&DEV_1004&REV_00", "PCI\\VEN_1AF4&DEV_1004", "PCI\\CC_010000"};
const std::vector<std::string> ahci_controller{"PCI\\VEN_8086&DEV_2922&SUBSYS_11001AF4&REV_02", "PCI\\VEN_8086&DEV_2922&REV_02",
                                               "PCI\\VEN_8086&DEV_2922", "PCI\\CC_010601", "PCI\\CC_0106"};
const std::vector<std::string> megaraid_controller{"PCI\\VEN_1000&DEV_005D&SUBSYS_1F4B1028&REV_02", "PCI\\VEN_1000&DEV_005D",
                                                   "PCI\\CC_010400"};

}  // namespace

TEST_CASE("InoculationPlan: --auto serves each controller of the machine, in-box or from --drivers", "[windows][inoculate]") {
    TempDir dir;
    if (!testing::windows_tools_present(dir)) FAIL("missing: hivexregedit, mkntfs or ../shared/fixtures");
    testing::WindowsVolumeSpec spec;
    spec.system_hive = testing::windows81_system_hive(dir);
    spec.software_hive = testing::windows2012r2_software_hive(dir);
    spec.size = 96ull << 20;
    const std::string image = testing::make_windows_volume(dir, "w81.raw", spec);
    const std::filesystem::path drivers = dir.path() / "drv";
    std::filesystem::create_directories(drivers / "vioscsi");
    std::filesystem::copy_file(testing::shared_fixture(dir, "inf/vioscsi.inx"), drivers / "vioscsi/vioscsi.inx");
    put(drivers / "vioscsi/vioscsi.sys", pe_image(0x8664));

    const UniqueFd fd = UniqueFd::open(image, O_RDONLY);
    const ntfs::NtfsVolume volume(fd.get(), 0, spec.size, "w81.raw", ntfs::Access::read_only);
    const system::WindowsInstall install = system::inspect_windows(volume);
    const system::OfflineHive hive(volume, install.system_root + "/System32/config/SYSTEM", "SYSTEM", true);
    const inoculate::DriverCatalog catalog = inoculate::builtin_catalog();

    inoculate::InoculationRequest request;
    request.drivers = drivers.string();
    request.machine_devices = std::vector<std::vector<std::string>>{virtio_scsi_controller, ahci_controller};
    const inoculate::InoculationPlan plan = inoculate::plan_inoculation(volume, hive, install, catalog, request);
    REQUIRE(plan.drivers.size() == 2);
    CHECK(plan.drivers[0].target == "virtio-scsi");
    CHECK_FALSE(plan.drivers[0].inbox);
    CHECK(plan.drivers[0].services == std::vector<std::string>{"vioscsi"});
    CHECK(plan.drivers[1].target == "ahci");
    CHECK(plan.drivers[1].inbox);
    CHECK(plan.drivers[1].services == std::vector<std::string>{"storahci"});
    CHECK_THAT(plan.text(), Catch::Contains("driver virtio-scsi: vioscsi from") && Catch::Contains("ahci: storahci (in-box"));

    // A RAID controller no catalog entry knows and no package serves: refused, naming it.
    request.machine_devices = std::vector<std::vector<std::string>>{megaraid_controller};
    try {
        inoculate::plan_inoculation(volume, hive, install, catalog, request);
        FAIL("an unknown controller was accepted");
    } catch (const Error& error) {
        CHECK(error.kind() == ErrorKind::refused);
        CHECK_THAT(error.what(), Catch::Contains("PCI\\VEN_1000&DEV_005D&SUBSYS_1F4B1028&REV_02"));
    }
    // virtio-scsi without its package: not in-box anywhere.
    CHECK_THROWS_WITH(inoculate::plan_inoculation(volume, hive, install, catalog, {{"virtio-scsi"}, std::nullopt, std::nullopt, {}}),
                      Catch::Contains("not in-box"));
}

TEST_CASE("DriverCatalog: the built-in catalog, ID matching and in-box ranges", "[windows][inoculate]") {
    const inoculate::DriverCatalog catalog = inoculate::builtin_catalog();
    for (const char* name : {"vmware-pvscsi", "vmware-lsisas", "vmware-lsilogic", "hyperv-storvsc", "virtio-blk", "virtio-scsi", "ahci",
                             "nvme", "ide"})
        CHECK(catalog.find(name).name == name);
    CHECK_THROWS_AS(catalog.find("floppy"), Error);
    const auto& ahci = catalog.find("ahci");
    CHECK(ahci.inbox_for(6, 1)->services == std::vector<std::string>{"msahci"});
    CHECK(ahci.inbox_for(10, 0)->services == std::vector<std::string>{"storahci"});
    CHECK(ahci.inbox_for(5, 2) == nullptr);
    CHECK(catalog.find("vmware-lsilogic").inbox_for(6, 3) == nullptr);  // dropped in Windows 8
    CHECK(catalog.find("virtio-scsi").inbox_for(10, 0) == nullptr);
    CHECK(inoculate::id_matches("PCI\\VEN_1AF4&DEV_1004", "pci\\ven_1af4&dev_1004&subsys_00081af4"));
    CHECK_FALSE(inoculate::id_matches("PCI\\VEN_1AF4&DEV_1004", "PCI\\VEN_1AF4&DEV_10048"));
    CHECK_FALSE(inoculate::id_matches("PCI\\CC_0101", "PCI\\CC_010180"));
    CHECK_THROWS_WITH(inoculate::parse_catalog("{\"schema\": 1, \"targets\": [{\"name\": \"x\"}]}", "test.json"),
                      Catch::Contains("test.json"));
    CHECK_THROWS_WITH(inoculate::parse_catalog("{\"schema\": 2}", "test.json"), Catch::Contains("schema"));
}

TEST_CASE("BootBinding: the DriverPackages Version blob and PE machines", "[windows][inoculate]") {
    inf::InfVersion version;
    version.class_guid = "{4D36E97B-E325-11CE-BFC1-08002BE10318}";
    version.year = 2006;
    version.month = 6;
    version.day = 21;
    version.version = {10, 0, 18362, 693};
    // mshdc's Version in a real Windows 10 hive (inoculation.md §1.3): 2006-06-21, 10.0.18362.693;
    // its header is ff ff 09 00 (in-box) where an imported package has 00 ff 09 00.
    const auto blob = inoculate::driver_version_blob(version);
    const std::vector<std::uint8_t> expected_tail{0x00, 0x80, 0x8c, 0xa3, 0xc5, 0x94, 0xc6, 0x01, 0xb5, 0x02, 0xba,
                                                  0x47, 0x00, 0x00, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};
    CHECK(std::vector<std::uint8_t>(blob.begin() + 24, blob.end()) == expected_tail);
    CHECK(std::vector<std::uint8_t>(blob.begin(), blob.begin() + 12) ==
          std::vector<std::uint8_t>{0x00, 0xff, 0x09, 0x00, 0, 0, 0, 0, 0x7b, 0xe9, 0x36, 0x4d});
    CHECK(inoculate::pe_architecture(pe_image(0x8664)) == "amd64");
    CHECK(inoculate::pe_architecture(pe_image(0x014c)) == "x86");
    CHECK(inoculate::pe_architecture(pe_image(0xAA64)) == "arm64");
    CHECK(inoculate::pe_architecture(std::vector<std::uint8_t>(512, 0)).empty());
    CHECK(inoculate::split_enumerator("VMBUS\\{ba6163d9-04a1-4d29-b605-72e2ffb1dc7f}").first == "VMBUS");
    CHECK_THROWS_AS(inoculate::split_enumerator("NOSLASH"), Error);
}

TEST_CASE("PackageFiles: a package's files go only where a boot driver's files belong", "[windows][inoculate][safety]") {
    const auto copy = [](unsigned dirid, const std::string& subdir, const std::string& name) {
        inf::FileCopy file;
        file.dest_name = file.source_name = name;
        file.destination = {dirid, subdir};
        file.target_path = inf::system_root_path(file.destination, name, "x.inf_amd64_0000000000000000");
        file.line = 7;
        return file;
    };
    CHECK_NOTHROW(inoculate::check_boot_destination("x.inf", copy(12, "", "x.sys")));
    CHECK_NOTHROW(inoculate::check_boot_destination("x.inf", copy(12, "", "X.SYS")));
    CHECK_NOTHROW(inoculate::check_boot_destination("x.inf", copy(13, "", "x.sys")));
    CHECK_NOTHROW(inoculate::check_boot_destination("x.inf", copy(13, "", "helper.dll")));
    const auto refused = [&](unsigned dirid, const std::string& subdir, const std::string& name, const std::string& says) {
        try {
            inoculate::check_boot_destination("x.inf", copy(dirid, subdir, name));
            FAIL(name << " in dirid " << dirid << " was accepted");
        } catch (const Error& error) {
            CHECK(error.kind() == ErrorKind::refused);
            CHECK_THAT(error.what(), Catch::Contains("x.inf:7: " + name) && Catch::Contains(says));
        }
    };
    refused(11, "", "utilman.exe", "%SystemRoot%\\System32\\utilman.exe (DestinationDirs dirid 11)");
    refused(11, "config", "SAM", "System32\\config\\SAM (DestinationDirs dirid 11,config)");
    refused(10, "", "explorer.exe", "dirid 10");
    refused(12, "", "x.dll", "System32\\drivers\\x.dll");
    refused(12, "etc", "hosts.sys", "System32\\drivers\\etc\\hosts.sys");
    refused(17, "", "x.inf", "dirid 17");
    CHECK_NOTHROW(inoculate::check_catalog_name("x.inf", "x.cat"));
    CHECK_THROWS_WITH(inoculate::check_catalog_name("x.inf", "..\\..\\config\\SAM"), Catch::Contains("not a plain file name"));
    CHECK_THROWS_WITH(inoculate::check_catalog_name("x.inf", ".."), Catch::Contains("not a plain file name"));
}
