#include <catch2/catch.hpp>

#include "common/TempDir.hpp"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

#include "inventory/Pci.hpp"

namespace fs = std::filesystem;
using dagda::inventory::PciDevice;

using dagda::testing::TempDir;
using dagda::testing::write_file;

namespace {

struct FakeDevice {
    std::string address, vendor, device, subsystem_vendor, subsystem_device, revision, class_code;
};

/// Lays a device out like the kernel does: the folder lives in devices/pci0000:00 and
/// bus/pci/devices holds a symlink to it.
fs::path add_device(const fs::path& sys, const FakeDevice& d) {
    const fs::path dir = sys / "devices" / "pci0000:00" / d.address;
    write_file(dir / "vendor", d.vendor + "\n");
    write_file(dir / "device", d.device + "\n");
    write_file(dir / "subsystem_vendor", d.subsystem_vendor + "\n");
    write_file(dir / "subsystem_device", d.subsystem_device + "\n");
    write_file(dir / "revision", d.revision + "\n");
    write_file(dir / "class", d.class_code + "\n");
    fs::create_directories(sys / "bus" / "pci" / "devices");
    fs::create_directory_symlink(fs::path("../../../devices/pci0000:00") / d.address,
                                 sys / "bus" / "pci" / "devices" / d.address);
    return dir;
}

/// virtio-blk (transitional) bound to virtio-pci, an AHCI controller with no driver, and a
/// half-populated folder that must be skipped.
void build_tree(const fs::path& sys) {
    const fs::path virtio = add_device(sys, {"0000:00:04.0", "0x1af4", "0x1001", "0x1af4", "0x0002", "0x00", "0x010000"});
    fs::create_directories(sys / "bus" / "pci" / "drivers" / "virtio-pci");
    fs::create_symlink("../../../bus/pci/drivers/virtio-pci", virtio / "driver");

    add_device(sys, {"0000:00:1f.2", "0x8086", "0x2922", "0x1af4", "0x1100", "0x02", "0x010601"});

    const fs::path broken = sys / "bus" / "pci" / "devices" / "0000:00:07.0";
    write_file(broken / "device", "0x1234\n");  // no vendor file
}

}  // namespace

TEST_CASE("read_pci reads a fake sysfs tree, sorted by address", "[inventory][pci]") {
    TempDir tmp;
    build_tree(tmp.path());

    const auto devices = dagda::inventory::read_pci(tmp.path());
    REQUIRE(devices.size() == 2);

    const PciDevice& virtio = devices[0];
    CHECK(virtio.address == "0000:00:04.0");
    CHECK(virtio.vendor_id == 0x1af4);
    CHECK(virtio.device_id == 0x1001);
    CHECK(virtio.subsystem_vendor_id == 0x1af4);
    CHECK(virtio.subsystem_device_id == 0x0002);
    CHECK(virtio.revision == 0x00);
    CHECK(virtio.class_code == 0x010000);
    REQUIRE(virtio.driver.has_value());
    CHECK(*virtio.driver == "virtio-pci");

    const PciDevice& ahci = devices[1];
    CHECK(ahci.address == "0000:00:1f.2");
    CHECK(ahci.vendor_id == 0x8086);
    CHECK(ahci.device_id == 0x2922);
    CHECK(ahci.revision == 0x02);
    CHECK(ahci.class_code == 0x010601);
    CHECK_FALSE(ahci.driver.has_value());
}

TEST_CASE("PCI hardware and compatible IDs follow Windows order and format", "[inventory][pci]") {
    TempDir tmp;
    build_tree(tmp.path());
    const auto devices = dagda::inventory::read_pci(tmp.path());
    REQUIRE(devices.size() == 2);

    SECTION("virtio-blk: SUBSYS is subsystem device then subsystem vendor") {
        const std::vector<std::string> hardware{
            R"(PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00)",
            R"(PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4)",
            R"(PCI\VEN_1AF4&DEV_1001&CC_010000)",
            R"(PCI\VEN_1AF4&DEV_1001&CC_0100)",
        };
        const std::vector<std::string> compatible{
            R"(PCI\VEN_1AF4&DEV_1001&REV_00)",
            R"(PCI\VEN_1AF4&DEV_1001)",
            R"(PCI\VEN_1AF4&CC_010000)",
            R"(PCI\VEN_1AF4&CC_0100)",
            R"(PCI\VEN_1AF4)",
            R"(PCI\CC_010000)",
            R"(PCI\CC_0100)",
        };
        CHECK(devices[0].hardware_ids == hardware);
        CHECK(devices[0].compatible_ids == compatible);
    }

    SECTION("AHCI with a prog-if") {
        const std::vector<std::string> hardware{
            R"(PCI\VEN_8086&DEV_2922&SUBSYS_11001AF4&REV_02)",
            R"(PCI\VEN_8086&DEV_2922&SUBSYS_11001AF4)",
            R"(PCI\VEN_8086&DEV_2922&CC_010601)",
            R"(PCI\VEN_8086&DEV_2922&CC_0106)",
        };
        const std::vector<std::string> compatible{
            R"(PCI\VEN_8086&DEV_2922&REV_02)",
            R"(PCI\VEN_8086&DEV_2922)",
            R"(PCI\VEN_8086&CC_010601)",
            R"(PCI\VEN_8086&CC_0106)",
            R"(PCI\VEN_8086)",
            R"(PCI\CC_010601)",
            R"(PCI\CC_0106)",
        };
        CHECK(devices[1].hardware_ids == hardware);
        CHECK(devices[1].compatible_ids == compatible);
    }
}

TEST_CASE("PCI IDs are upper-case and zero-padded from the struct alone", "[inventory][pci]") {
    PciDevice device;
    device.vendor_id = 0x00ab;
    device.device_id = 0x000c;
    device.subsystem_vendor_id = 0x0001;
    device.subsystem_device_id = 0xfe00;
    device.revision = 0x0a;
    device.class_code = 0x0c0330;

    const auto hardware = dagda::inventory::pci_hardware_ids(device);
    REQUIRE(hardware.size() == 4);
    CHECK(hardware[0] == R"(PCI\VEN_00AB&DEV_000C&SUBSYS_FE000001&REV_0A)");
    CHECK(hardware[3] == R"(PCI\VEN_00AB&DEV_000C&CC_0C03)");
    const auto compatible = dagda::inventory::pci_compatible_ids(device);
    REQUIRE(compatible.size() == 7);
    CHECK(compatible[5] == R"(PCI\CC_0C0330)");
}

TEST_CASE("PCI device JSON uses snake_case keys and hex strings", "[inventory][pci]") {
    TempDir tmp;
    build_tree(tmp.path());
    const auto devices = dagda::inventory::read_pci(tmp.path());
    REQUIRE(devices.size() == 2);

    const nlohmann::json virtio = devices[0];
    CHECK(virtio.at("address") == "0000:00:04.0");
    CHECK(virtio.at("vendor") == "1af4");
    CHECK(virtio.at("device") == "1001");
    CHECK(virtio.at("subsystem_vendor") == "1af4");
    CHECK(virtio.at("subsystem_device") == "0002");
    CHECK(virtio.at("revision") == "00");
    CHECK(virtio.at("class_code") == "010000");
    CHECK(virtio.at("driver") == "virtio-pci");
    CHECK(virtio.at("hardware_ids").at(0) == R"(PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00)");
    CHECK(virtio.at("compatible_ids").size() == 7);

    const nlohmann::json ahci = devices[1];
    CHECK(ahci.at("driver").is_null());
}

TEST_CASE("read_pci of a tree without a PCI bus is empty", "[inventory][pci]") {
    TempDir tmp;
    CHECK(dagda::inventory::read_pci(tmp.path()).empty());
}

TEST_CASE("read_pci on this machine's /sys yields well-formed IDs", "[inventory][pci][host]") {
    const auto devices = dagda::inventory::read_pci("/sys");
    REQUIRE_FALSE(devices.empty());

    const std::regex address(R"([0-9a-f]{4,}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7])");
    const std::regex hardware_full(R"(PCI\\VEN_[0-9A-F]{4}&DEV_[0-9A-F]{4}&SUBSYS_[0-9A-F]{8}&REV_[0-9A-F]{2})");
    const std::regex class_only(R"(PCI\\CC_[0-9A-F]{4})");
    for (std::size_t i = 0; i < devices.size(); ++i) {
        INFO("device " << devices[i].address);
        CHECK(std::regex_match(devices[i].address, address));
        if (i > 0) CHECK(devices[i - 1].address < devices[i].address);
        REQUIRE(devices[i].hardware_ids.size() == 4);
        REQUIRE(devices[i].compatible_ids.size() == 7);
        CHECK(std::regex_match(devices[i].hardware_ids[0], hardware_full));
        CHECK(std::regex_match(devices[i].compatible_ids[6], class_only));
    }
}
