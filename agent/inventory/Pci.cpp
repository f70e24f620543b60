#include "inventory/Pci.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <system_error>

#include <nlohmann/json.hpp>

#include "core/Sysfs.hpp"

namespace dagda::inventory {
namespace {

namespace fs = std::filesystem;

/// `value` as exactly `digits` hex digits; upper-case for PnP IDs, lower-case for JSON.
std::string hex(std::uint32_t value, int digits, bool upper) {
    char text[16];
    std::snprintf(text, sizeof text, upper ? "%0*X" : "%0*x", digits, static_cast<unsigned>(value));
    return text;
}

/// The attribute as an unsigned value of type T, or nullopt when absent or out of range
/// (a value wider than the register it names means the file is not what we think it is).
template <typename T>
std::optional<T> read_field(const fs::path& path, std::uint64_t max = std::numeric_limits<T>::max()) {
    const auto value = sysfs::read_uint(path);
    if (!value || *value > max) return std::nullopt;
    return static_cast<T>(*value);
}

std::optional<PciDevice> read_device(const fs::path& dir) {
    const auto vendor = read_field<std::uint16_t>(dir / "vendor");
    const auto device = read_field<std::uint16_t>(dir / "device");
    if (!vendor || !device) return std::nullopt;

    PciDevice result;
    result.address = dir.filename().string();
    result.vendor_id = *vendor;
    result.device_id = *device;
    result.subsystem_vendor_id = read_field<std::uint16_t>(dir / "subsystem_vendor").value_or(0);
    result.subsystem_device_id = read_field<std::uint16_t>(dir / "subsystem_device").value_or(0);
    result.revision = read_field<std::uint8_t>(dir / "revision").value_or(0);
    result.class_code = read_field<std::uint32_t>(dir / "class", 0xFFFFFF).value_or(0);
    result.driver = sysfs::link_target_name(dir / "driver");
    result.hardware_ids = pci_hardware_ids(result);
    result.compatible_ids = pci_compatible_ids(result);
    return result;
}

struct IdParts {
    std::string ven;     // "PCI\VEN_8086"
    std::string dev;     // "&DEV_2922"
    std::string subsys;  // "&SUBSYS_11001AF4"
    std::string rev;     // "&REV_02"
    std::string cc6;     // "CC_010601"
    std::string cc4;     // "CC_0106"
};

IdParts id_parts(const PciDevice& device) {
    // Windows packs SUBSYS as the 32-bit config-space dword at 0x2C read little-endian:
    // subsystem device ID in the high half, subsystem vendor ID in the low half.
    const std::uint32_t subsys =
        (static_cast<std::uint32_t>(device.subsystem_device_id) << 16) | device.subsystem_vendor_id;
    return IdParts{
        "PCI\\VEN_" + hex(device.vendor_id, 4, true),
        "&DEV_" + hex(device.device_id, 4, true),
        "&SUBSYS_" + hex(subsys, 8, true),
        "&REV_" + hex(device.revision, 2, true),
        "CC_" + hex(device.class_code & 0xFFFFFFu, 6, true),
        "CC_" + hex((device.class_code >> 8) & 0xFFFFu, 4, true),
    };
}

}  // namespace

std::vector<std::string> pci_hardware_ids(const PciDevice& device) {
    const auto p = id_parts(device);
    return {
        p.ven + p.dev + p.subsys + p.rev,
        p.ven + p.dev + p.subsys,
        p.ven + p.dev + "&" + p.cc6,
        p.ven + p.dev + "&" + p.cc4,
    };
}

std::vector<std::string> pci_compatible_ids(const PciDevice& device) {
    const auto p = id_parts(device);
    return {
        p.ven + p.dev + p.rev,
        p.ven + p.dev,
        p.ven + "&" + p.cc6,
        p.ven + "&" + p.cc4,
        p.ven,
        "PCI\\" + p.cc6,
        "PCI\\" + p.cc4,
    };
}

std::vector<PciDevice> read_pci(const std::filesystem::path& sys_root) {
    std::vector<PciDevice> devices;
    std::error_code ec;
    fs::directory_iterator it(sys_root / "bus" / "pci" / "devices", ec);
    if (ec) return devices;  // no PCI bus (some ARM boards, containers without /sys/bus/pci)
    for (const auto& entry : it) {
        // The entries are symlinks into /sys/devices; is_directory follows them.
        if (!entry.is_directory(ec)) continue;
        if (auto device = read_device(entry.path())) devices.push_back(std::move(*device));
    }
    std::sort(devices.begin(), devices.end(),
              [](const PciDevice& a, const PciDevice& b) { return a.address < b.address; });
    return devices;
}

void to_json(nlohmann::json& out, const PciDevice& device) {
    out = nlohmann::json{
        {"address", device.address},
        {"vendor", hex(device.vendor_id, 4, false)},
        {"device", hex(device.device_id, 4, false)},
        {"subsystem_vendor", hex(device.subsystem_vendor_id, 4, false)},
        {"subsystem_device", hex(device.subsystem_device_id, 4, false)},
        {"revision", hex(device.revision, 2, false)},
        {"class_code", hex(device.class_code, 6, false)},
        {"driver", device.driver ? nlohmann::json(*device.driver) : nlohmann::json(nullptr)},
        {"hardware_ids", device.hardware_ids},
        {"compatible_ids", device.compatible_ids},
    };
}

}  // namespace dagda::inventory
