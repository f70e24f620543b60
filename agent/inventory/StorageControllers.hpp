#pragma once
/// The storage controllers of the machine the agent runs on, as Windows would name them: what
/// `dagda inoculate --auto` prepares a restored Windows for. PCI mass-storage functions (base
/// class 01) with their hardware and compatible IDs, and Hyper-V synthetic SCSI controllers on
/// VMBus, which are not PCI devices at all.

#include <filesystem>
#include <string>
#include <vector>

namespace dagda::inventory {

struct StorageController {
    std::string where;             ///< "pci 0000:00:1f.2" or "vmbus <device id>"
    std::vector<std::string> ids;  ///< hardware IDs, then compatible IDs, most specific first
};

/// Reads `<sys_root>/bus/pci/devices` and `<sys_root>/bus/vmbus/devices`; a missing bus yields
/// nothing. Never throws for missing attributes.
std::vector<StorageController> storage_controllers(const std::filesystem::path& sys_root = "/sys");

}  // namespace dagda::inventory
