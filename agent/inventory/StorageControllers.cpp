#include "inventory/StorageControllers.hpp"

#include "core/Sysfs.hpp"
#include "inventory/Pci.hpp"

#include <algorithm>
#include <system_error>

namespace dagda::inventory {

namespace {

/// The Hyper-V synthetic SCSI controller's VMBus class (its Windows ID is VMBUS\{class}).
constexpr const char* storvsc_class = "{ba6163d9-04a1-4d29-b605-72e2ffb1dc7f}";

}  // namespace

std::vector<StorageController> storage_controllers(const std::filesystem::path& sys_root) {
    std::vector<StorageController> controllers;
    for (const PciDevice& device : read_pci(sys_root)) {
        if ((device.class_code >> 16) != 0x01) continue;  // base class 01: mass storage
        StorageController controller{"pci " + device.address, device.hardware_ids};
        controller.ids.insert(controller.ids.end(), device.compatible_ids.begin(), device.compatible_ids.end());
        controllers.push_back(std::move(controller));
    }
    std::error_code error;
    std::vector<std::filesystem::path> vmbus;
    for (const auto& entry : std::filesystem::directory_iterator(sys_root / "bus/vmbus/devices", error)) vmbus.push_back(entry.path());
    std::sort(vmbus.begin(), vmbus.end());
    for (const auto& dir : vmbus) {
        std::string klass = sysfs::read_attr(dir / "class_id").value_or("");
        std::transform(klass.begin(), klass.end(), klass.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (klass == storvsc_class) controllers.push_back({"vmbus " + dir.filename().string(), {std::string("VMBUS\\") + storvsc_class}});
    }
    return controllers;
}

}  // namespace dagda::inventory
