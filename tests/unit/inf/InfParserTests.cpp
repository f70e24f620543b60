// The INF parser on the real vendor INFs in ../shared/fixtures/inf (virtio-win templates, LSI and
// disk class samples, a UTF-16LE network INF): hardware IDs, services, boot settings, files.

#include "windows/inf/DriverPackage.hpp"

#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace dagda;
using namespace dagda::windows::inf;
using dagda::testing::TempDir;

namespace {

const TargetWindows win10{10, 0, 19045, "amd64", false};
const TargetWindows win11{10, 0, 22000, "amd64", false};
const TargetWindows server2019{10, 0, 17763, "amd64", true};
const TargetWindows win7_x86{6, 1, 7601, "x86", false};

// The fixture's path (a missing fixture fails the test).
std::string fixture(const TempDir& dir, const std::string& name) {
    return testing::shared_fixture(dir, "inf/" + name);
}

const RegEntry& entry_named(const std::vector<RegEntry>& entries, const std::string& value_name) {
    for (const RegEntry& entry : entries) {
        if (entry.value_name == value_name) return entry;
    }
    FAIL("no AddReg entry " << value_name);
    throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("INF fixtures: every INF in the shared folder yields a package for Windows 10 amd64", "[inf]") {
    TempDir dir;
    const std::string folder = testing::shared_fixture(dir, "inf");
    int count = 0;
    for (const auto& item : std::filesystem::directory_iterator(folder)) {
        const std::string path = item.path().string();
        INFO(path);
        const InfFile inf = load_inf(path);
        const DriverPackage package = driver_package(inf, win10);
        CHECK_FALSE(package.devices.empty());
        CHECK_FALSE(package.hardware_ids().empty());
        REQUIRE(package.function_service() != nullptr);
        CHECK_FALSE(package.files().empty());
        ++count;
    }
    CHECK(count == 5);
}

TEST_CASE("INF fixtures: viostor.inx stamped for Windows 10 amd64", "[inf]") {
    TempDir dir;
    const std::string path = fixture(dir, "viostor.inx");
    const DriverPackage package = driver_package(load_inf(path), win10);

    CHECK(package.inf_name == "viostor.inf");
    CHECK(package.version.class_name == "SCSIAdapter");
    CHECK(package.version.class_guid == "{4D36E97B-E325-11CE-BFC1-08002BE10318}");
    CHECK(package.version.provider == "INX_COMPANY");
    CHECK(package.version.catalog_file == "viostor.cat");
    CHECK((package.version.year == 2008 && package.version.month == 1 && package.version.day == 1));
    CHECK(package.version.version == std::array<std::uint16_t, 4>{0, 0, 0, 1});
    CHECK(package.decoration == "NTamd64");
    CHECK(package.boot_storage);

    REQUIRE(package.devices.size() == 2);
    CHECK(package.devices[0].hardware_id == "PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00");
    CHECK(package.devices[0].compatible_ids == std::vector<std::string>{"PCI\\VEN_1AF4&DEV_1001"});
    CHECK(package.devices[1].hardware_id == "PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01");
    CHECK(package.devices[1].compatible_ids == std::vector<std::string>{"PCI\\VEN_1AF4&DEV_1042"});
    CHECK(package.devices[0].description == "INX_PREFIX_VENDORVirtIO SCSI controller");
    CHECK(package.devices[0].install == "scsi_inst");
    CHECK(package.devices[0].models_section == "VioStor.NTamd64");

    REQUIRE(package.installations.size() == 1);
    const Installation& install = package.installations[0];
    CHECK(install.section == "scsi_inst");
    REQUIRE(install.services.size() == 1);
    const ServiceInstall& service = install.services[0];
    CHECK(service.name == "viostor");
    CHECK(service.function_driver);
    CHECK(service.service_type == 1);
    CHECK(service.start_type == service_start::boot);
    CHECK(service.error_control == 1);
    CHECK(service.load_order_group == "SCSI miniport");
    CHECK(service.binary == "%12%\\viostor.sys");
    CHECK(service.binary_dir.dirid == 12);
    CHECK(service.image_path == "System32\\drivers\\viostor.sys");
    CHECK(entry_named(service.add_reg, "BusType").dword == 1);
    CHECK(entry_named(service.add_reg, "5").subkey == "Parameters\\PnpInterface");
    CHECK(service.event_log_section == "scsi_EventLog_Inst");
    const RegEntry& message_file = entry_named(service.event_log_add_reg, "EventMessageFile");
    CHECK(message_file.type == ValueType::expand_sz);
    CHECK(message_file.strings == std::vector<std::string>{"%SystemRoot%\\System32\\IoLogMsg.dll"});
    CHECK(entry_named(service.event_log_add_reg, "TypesSupported").dword == 7);

    REQUIRE(install.files.size() == 1);
    const FileCopy& file = install.files[0];
    CHECK(file.dest_name == "viostor.sys");
    CHECK(file.source_path == "viostor.sys");
    CHECK(file.disk_id == 1);
    CHECK(file.destination.dirid == 12);
    CHECK(file.target_path == "System32\\drivers\\viostor.sys");
    CHECK(file.flags == 2);

    REQUIRE(install.hw_add_reg.size() == 7);
    CHECK(install.hw_add_reg[0].key_only);
    CHECK(install.hw_add_reg[0].subkey == "Interrupt Management");
    CHECK(entry_named(install.hw_add_reg, "MSISupported").dword == 1);
    CHECK(entry_named(install.hw_add_reg, "MessageNumberLimit").dword == 257);
    CHECK(entry_named(install.hw_add_reg, "MessageNumberLimit").type == ValueType::dword);
}

TEST_CASE("INF fixtures: viostor.inx runs from the DriverStore on Windows 11", "[inf]") {
    TempDir dir;
    const std::string path = fixture(dir, "viostor.inx");
    const InfFile inf = load_inf(path);

    const DriverPackage eleven = driver_package(inf, win11);
    const std::string store = "System32\\DriverStore\\FileRepository\\viostor.inf_amd64_0000000000000000\\viostor.sys";
    CHECK(eleven.store_folder == "viostor.inf_amd64_0000000000000000");
    CHECK(eleven.function_service()->binary_dir.dirid == 13);
    CHECK(eleven.function_service()->image_path == store);
    REQUIRE(eleven.files().size() == 1);
    CHECK(eleven.files()[0].destination.dirid == 13);
    CHECK(eleven.files()[0].target_path == store);

    // Server 2019 (build 17763) is before Windows 11: System32\drivers.
    const DriverPackage server = driver_package(inf, server2019);
    CHECK(server.function_service()->image_path == "System32\\drivers\\viostor.sys");
    CHECK(server.files()[0].destination.dirid == 12);
}

TEST_CASE("INF fixtures: vioscsi.inx", "[inf]") {
    TempDir dir;
    const std::string path = fixture(dir, "vioscsi.inx");
    const DriverPackage package = driver_package(load_inf(path), win10);

    CHECK(package.inf_name == "vioscsi.inf");
    CHECK(package.boot_storage);
    CHECK(package.hardware_ids() == std::vector<std::string>{"PCI\\VEN_1AF4&DEV_1004&SUBSYS_00081AF4&REV_00",
                                                             "PCI\\VEN_1AF4&DEV_1048&SUBSYS_11001AF4&REV_01"});
    CHECK(package.devices[0].compatible_ids == std::vector<std::string>{"PCI\\VEN_1AF4&DEV_1004"});
    CHECK(package.devices[1].compatible_ids == std::vector<std::string>{"PCI\\VEN_1AF4&DEV_1048"});
    const ServiceInstall* service = package.function_service();
    REQUIRE(service != nullptr);
    CHECK(service->name == "vioscsi");
    CHECK(service->display_name == "INX_PREFIX_VENDORVirtIO SCSI pass-through Service");
    CHECK(service->service_type == 1);
    CHECK(service->start_type == 0);
    CHECK(service->error_control == 1);
    CHECK(service->load_order_group == "SCSI miniport");
    CHECK(service->image_path == "System32\\drivers\\vioscsi.sys");
    CHECK(entry_named(service->add_reg, "BusType").dword == 0xA);
    CHECK(package.files()[0].target_path == "System32\\drivers\\vioscsi.sys");
    const Installation& install = package.installation_for(package.devices[0]);
    CHECK(install.hw_add_reg.size() == 8);
    CHECK(entry_named(install.hw_add_reg, "DevicePriority").dword == 3);
    CHECK(entry_named(install.hw_add_reg, "MessageNumberLimit").dword == 258);

    const DriverPackage eleven = driver_package(load_inf(path), win11);
    CHECK(eleven.function_service()->image_path ==
          "System32\\DriverStore\\FileRepository\\vioscsi.inf_amd64_0000000000000000\\vioscsi.sys");
}

TEST_CASE("INF fixtures: lsi_u3.inf, a StorPort miniport sample", "[inf]") {
    TempDir dir;
    const std::string path = fixture(dir, "lsi_u3.inf");
    for (const TargetWindows& target : {win10, win7_x86}) {
        INFO(describe(target));
        const DriverPackage package = driver_package(load_inf(path), target);
        CHECK(package.decoration == "NT" + target.arch);
        CHECK(package.version.provider == "LSI");
        CHECK(package.version.catalog_file == "lsi_u3.cat");
        CHECK((package.version.year == 2008 && package.version.month == 6 && package.version.day == 12));
        CHECK(package.version.version == std::array<std::uint16_t, 4>{5, 9, 10, 4});
        CHECK(package.boot_storage);
        CHECK(package.hardware_ids() == std::vector<std::string>{"PCI\\VEN_1000&DEV_0020", "PCI\\VEN_1000&DEV_0021"});
        CHECK(package.devices[0].compatible_ids.empty());
        // The ';' inside the quoted string is text, not a comment.
        CHECK(package.devices[0].description == "LSI Ultra3 PCI SCSI Adapter; 53C1010-33 (StorPort)");
        const ServiceInstall* service = package.function_service();
        REQUIRE(service != nullptr);
        CHECK(service->name == "LSI_U3");
        CHECK(service->add_flags == 2);
        CHECK(service->service_type == 1);
        CHECK(service->start_type == 0);
        CHECK(service->error_control == 1);
        CHECK(service->load_order_group == "SCSI Miniport");
        CHECK(service->image_path == "System32\\drivers\\lsi_u3.sys");
        REQUIRE(service->add_reg.size() == 2);  // two AddReg lines in the service-install section
        CHECK(service->add_reg[0].subkey == "Parameters\\PnpInterface");
        CHECK(service->add_reg[1].value_name == "BusType");
        CHECK(service->add_reg[1].dword == 1);
        REQUIRE(package.files().size() == 1);
        CHECK(package.files()[0].destination.dirid == 12);  // DefaultDestDir
        CHECK(package.files()[0].target_path == "System32\\drivers\\lsi_u3.sys");
        CHECK(package.files()[0].flags == 1);
        CHECK(package.installations[0].hw_add_reg.empty());  // its .HW section only has DelReg
    }
}

TEST_CASE("INF fixtures: diskdev.inf, the disk class driver", "[inf]") {
    TempDir dir;
    const std::string path = fixture(dir, "diskdev.inf");
    const InfFile inf = load_inf(path);
    const DriverPackage package = driver_package(inf, win10);
    CHECK(package.version.class_name == "DiskDrive");
    CHECK(package.version.class_guid == "{4d36e967-e325-11ce-bfc1-08002be10318}");
    CHECK(package.version.catalog_file == "diskdev.cat");
    CHECK(package.version.version == std::array<std::uint16_t, 4>{5, 2, 1425, 0});
    CHECK(package.hardware_ids() == std::vector<std::string>{"GenDisk", "GenOptical"});
    CHECK(package.devices[1].description == "Optical disk drive");
    REQUIRE(package.installations.size() == 1);
    CHECK(package.installations[0].section == "disk.NT");  // [disk.NT] serves amd64: no [disk.NTamd64]
    const ServiceInstall* service = package.function_service();
    REQUIRE(service != nullptr);
    CHECK(service->name == "disk");
    CHECK(service->install_section == "disk_Service_Inst");
    CHECK(service->start_type == 0);
    CHECK(service->service_type == 1);
    CHECK(service->error_control == 1);
    CHECK(service->load_order_group == "SCSI Class");
    CHECK(service->display_name == "Disk Drive");
    CHECK(service->image_path == "System32\\drivers\\disk.sys");
    CHECK(package.boot_storage);  // not a storage class, but a boot-start "SCSI Class" driver
    REQUIRE(package.files().size() == 1);
    CHECK(package.files()[0].source_path == "amd64/disk.sys");  // [SourceDisksNames.amd64] path \amd64
    CHECK(package.files()[0].target_path == "System32\\drivers\\disk.sys");

    // Only NTamd64 is offered: an x86 Windows gets an error that says so, at [Manufacturer].
    CHECK_THROWS_WITH(driver_package(inf, win7_x86),
                      Catch::Contains("diskdev.inf:27: no [Manufacturer] entry fits Windows 6.1.7601 x86") &&
                          Catch::Contains("NTamd64"));
}

TEST_CASE("INF fixtures: netvadapter.inf is UTF-16LE with a BOM", "[inf]") {
    TempDir dir;
    const std::string path = fixture(dir, "netvadapter.inf");
    const InfFile inf = load_inf(path);
    CHECK(inf.text().rfind(";---", 0) == 0);
    CHECK(inf.string("Msft") == std::optional<std::string>("Microsoft"));

    const DriverPackage package = driver_package(inf, win10);
    CHECK(package.version.class_name == "Net");
    CHECK(package.version.provider == "Microsoft");
    CHECK(package.version.version == std::array<std::uint16_t, 4>{6, 1, 7065, 0});
    CHECK_FALSE(package.boot_storage);
    CHECK(package.hardware_ids() == std::vector<std::string>{"root\\netvadapter",
                                                             "{b85b7c50-6a01-11d2-b841-00c04fad5171}\\netvadapter",
                                                             "ndt\\netvadapter", "test\\netvadapter1", "test\\netvadapter2"});
    CHECK(package.devices[0].description == "KMDF Microsoft Virtual Ethernet Adapter (NDIS WDF)");
    REQUIRE(package.installations.size() == 3);
    CHECK(package.installations[1].section == "instance1.ndi");
    CHECK(package.installation_for(package.devices[4]).section == "instance2.ndi");

    const ServiceInstall* service = package.function_service();
    REQUIRE(service != nullptr);
    CHECK(service->name == "netvadapter");
    CHECK(service->service_type == 1);
    CHECK(service->start_type == service_start::demand);
    CHECK(service->error_control == 1);
    CHECK(service->load_order_group == "NDIS");
    CHECK(service->display_name == "KMDF Microsoft Virtual Miniport (NDIS WDF)");
    CHECK(service->image_path == "System32\\drivers\\netvadapter.sys");
    CHECK(entry_named(service->add_reg, "TextModeFlags").dword == 1);
    CHECK(package.files().size() == 1);
    CHECK(package.files()[0].target_path == "System32\\drivers\\netvadapter.sys");

    // The five AddReg sections of [netvadapter.ndi]: 5 + 24 + 10 + 5 + 10 lines.
    const std::vector<RegEntry>& values = package.installations[0].add_reg;
    CHECK(values.size() == 54);
    CHECK(values[1].subkey == "Ndi");
    CHECK(values[1].value_name == "Service");
    CHECK(values[1].type == ValueType::sz);
    CHECK(values[1].strings == std::vector<std::string>{"netvadapter"});
    CHECK(entry_named(values, "1").strings == std::vector<std::string>{"Enabled"});
}
