#pragma once
/// PCI devices as sysfs lists them, with the Plug-and-Play IDs Windows derives from them.
///
/// The IDs let the controller pick the Windows driver (INF) that matches a restored machine's
/// storage and network controllers before the first boot, the way Windows setup would.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace dagda::inventory {

/// One PCI function from `<sys>/bus/pci/devices/<address>`.
struct PciDevice {
    std::string address;                     ///< "0000:00:1f.2": domain:bus:device.function
    std::uint16_t vendor_id = 0;             ///< `vendor`, e.g. 0x8086
    std::uint16_t device_id = 0;             ///< `device`
    std::uint16_t subsystem_vendor_id = 0;   ///< `subsystem_vendor`; 0 when the file is absent
    std::uint16_t subsystem_device_id = 0;   ///< `subsystem_device`; 0 when the file is absent
    std::uint8_t revision = 0;               ///< `revision`; 0 when the file is absent
    std::uint32_t class_code = 0;            ///< `class`, 24 bits: base class, subclass, prog-if
    std::optional<std::string> driver;       ///< bound kernel driver ("ahci"), nullopt when unbound
    std::vector<std::string> hardware_ids;   ///< Windows hardware IDs, most specific first
    std::vector<std::string> compatible_ids; ///< Windows compatible IDs, most specific first
};

/// Windows hardware IDs of a device, most specific first (upper-case hex):
/// `PCI\VEN_v&DEV_d&SUBSYS_s&REV_r`, `PCI\VEN_v&DEV_d&SUBSYS_s`, `PCI\VEN_v&DEV_d&CC_ccsspp`,
/// `PCI\VEN_v&DEV_d&CC_ccss`. SUBSYS is the subsystem device ID followed by the subsystem vendor ID.
std::vector<std::string> pci_hardware_ids(const PciDevice& device);

/// Windows compatible IDs of a device, most specific first (upper-case hex):
/// `PCI\VEN_v&DEV_d&REV_r`, `PCI\VEN_v&DEV_d`, `PCI\VEN_v&CC_ccsspp`, `PCI\VEN_v&CC_ccss`,
/// `PCI\VEN_v`, `PCI\CC_ccsspp`, `PCI\CC_ccss`.
std::vector<std::string> pci_compatible_ids(const PciDevice& device);

/// Every device under `<sys_root>/bus/pci/devices`, sorted by address, with IDs filled in.
/// A folder without a readable `vendor` or `device` is skipped; a machine without that folder
/// (no PCI bus) yields an empty list. Never throws for missing attributes.
std::vector<PciDevice> read_pci(const std::filesystem::path& sys_root = "/sys");

/// JSON object: address, vendor, device, subsystem_vendor, subsystem_device (4 lower-case hex
/// digits, "8086"), revision (2 digits), class_code (6 digits), driver (string or null),
/// hardware_ids and compatible_ids (arrays of strings).
void to_json(nlohmann::json& out, const PciDevice& device);

}  // namespace dagda::inventory
