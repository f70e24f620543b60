#include "inventory/StorageControllers.hpp"

#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

namespace fs = std::filesystem;
using dagda::testing::TempDir;
using dagda::testing::write_file;

namespace {

void add_pci(const fs::path& sys, const std::string& address, const std::string& vendor, const std::string& device,
             const std::string& class_code) {
    const fs::path dir = sys / "bus/pci/devices" / address;
    write_file(dir / "vendor", vendor + "\n");
    write_file(dir / "device", device + "\n");
    write_file(dir / "subsystem_vendor", "0x1af4\n");
    write_file(dir / "subsystem_device", "0x0008\n");
    write_file(dir / "revision", "0x00\n");
    write_file(dir / "class", class_code + "\n");
}

}  // namespace

TEST_CASE("StorageControllers: PCI mass storage and Hyper-V SCSI, nothing else", "[inventory][storage]") {
    TempDir dir;
    const fs::path sys = dir.path() / "sys";
    add_pci(sys, "0000:00:05.0", "0x1af4", "0x1004", "0x010000");  // virtio-scsi
    add_pci(sys, "0000:00:03.0", "0x8086", "0x100e", "0x020000");  // an e1000 NIC: not storage
    add_pci(sys, "0000:00:1f.2", "0x8086", "0x2922", "0x010601");  // AHCI
    write_file(sys / "bus/vmbus/devices/f8b3781b-1e82-4818-a1c3-63d806ec15bb/class_id", "{BA6163D9-04A1-4D29-B605-72E2FFB1DC7F}\n");
    write_file(sys / "bus/vmbus/devices/0a9b2a37-1e7e-4b1e-9d8a-56d91d1f4c1d/class_id", "{f8615163-df3e-46c5-913f-f2d2f965ed0e}\n");

    const auto controllers = dagda::inventory::storage_controllers(sys);
    REQUIRE(controllers.size() == 3);
    CHECK(controllers[0].where == "pci 0000:00:05.0");
    CHECK(controllers[0].ids.front() == "PCI\\VEN_1AF4&DEV_1004&SUBSYS_00081AF4&REV_00");
    CHECK(std::find(controllers[0].ids.begin(), controllers[0].ids.end(), "PCI\\VEN_1AF4&DEV_1004") != controllers[0].ids.end());
    CHECK(controllers[1].where == "pci 0000:00:1f.2");
    CHECK(std::find(controllers[1].ids.begin(), controllers[1].ids.end(), "PCI\\CC_010601") != controllers[1].ids.end());
    CHECK(controllers[2].ids == std::vector<std::string>{"VMBUS\\{ba6163d9-04a1-4d29-b605-72e2ffb1dc7f}"});

    CHECK(dagda::inventory::storage_controllers(dir.path() / "nothing").empty());
}
