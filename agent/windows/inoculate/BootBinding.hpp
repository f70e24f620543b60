#pragma once
/// The SYSTEM-hive edits that make Windows load a storage driver at boot (docs/windows.md has
/// the recipe and its sources): the service set to boot start, and the driver bound to the
/// controller's IDs in the store this Windows reads at boot: CriticalDeviceDatabase up to
/// Windows 7 / 2008 R2, DriverDatabase from Windows 8 / 2012 on. Pure functions: they read the
/// hive and return edits; nothing is written here.

#include "windows/inf/DriverPackage.hpp"
#include "windows/registry/Hive.hpp"
#include "windows/registry/RegistryEdit.hpp"

#include <array>
#include <string>
#include <vector>

namespace dagda::windows::inoculate {

using registry::RegistryEdit;

/// For a driver Windows already has: Start = 0 and no StartOverride (Windows 8+ keeps
/// `Services\<svc>\StartOverride\0` = 3 for drivers of hardware it has not seen, which disables
/// them at boot). Throws Error{failed} when the service does not exist in the control set.
std::vector<RegistryEdit> boot_start_inbox_service(const registry::Hive& system, const std::string& control_set,
                                                   const std::string& service);

/// A new service from a package's service-install section: Type, Start 0 (boot, whatever the
/// INF says: it must load before the disk is reachable), ErrorControl, Group, ImagePath, and the
/// section's AddReg values below the service key. `owner_inf` (an INF name) is recorded in
/// Owners: Windows 8+ reads it, and on every Windows it tells a later inoculation that the
/// service's file is that package's own (PackageFiles.hpp).
std::vector<RegistryEdit> install_service(const std::string& control_set, const inf::ServiceInstall& service,
                                          const std::string& owner_inf);

/// CriticalDeviceDatabase entries: `<ENUM>#<rest>` (backslashes become '#') with Service and
/// ClassGUID, for each ID.
std::vector<RegistryEdit> bind_critical_device_database(const std::string& control_set, const std::vector<std::string>& ids,
                                                        const std::string& service, const std::string& class_guid);

/// An ID and its rank in its Models line: 1 for the hardware ID, 2 and up for compatible IDs
/// (DriverDatabase\DeviceIds stores the rank in the first byte).
struct RankedId {
    std::string id;
    std::uint8_t rank = 1;
};

/// DriverDatabase entries for a package: DriverInfFiles\<inf>, DeviceIds\<ENUM>\<id> (and the
/// class index), DriverPackages\<label> with its Version blob, Configurations\<cfg> (Service)
/// and Descriptors\<ENUM>\<id> (Configuration). `label` is `<inf>_<arch>_<16 hex>`.
std::vector<RegistryEdit> bind_driver_database(const inf::DriverPackage& package, const std::string& configuration,
                                               const std::string& service, const std::vector<RankedId>& ids);

/// The 48-byte DriverPackages\<label>\Version value: header 00 ff 09 00 00 00 00 00, the INF's
/// class GUID (Windows byte order), DriverVer's date as a FILETIME, DriverVer's version as four
/// little-endian u16 (revision, build, minor, major), 8 zero bytes.
std::array<std::uint8_t, 48> driver_version_blob(const inf::InfVersion& version);

/// Splits "PCI\VEN_1AF4&DEV_1004" into {"PCI", "VEN_1AF4&DEV_1004"} (at the first backslash).
std::pair<std::string, std::string> split_enumerator(const std::string& id);

}  // namespace dagda::windows::inoculate
