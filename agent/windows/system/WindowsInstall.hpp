#pragma once
/// What Windows an offline volume holds, read the way libguestfs inspects it: the system root
/// folder, the version from the SOFTWARE hive, the architecture and control sets from SYSTEM.
/// Inoculation decides from these which drivers fit and which registry store binds them.

#include "windows/ntfs/NtfsVolume.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace dagda::windows::system {

struct WindowsInstall {
    std::string system_root;        ///< as spelled on the volume: "/Windows"
    std::string product_name;       ///< "Windows Server 2012 R2 Standard"
    std::string edition_id;         ///< "ServerStandard" (may be empty)
    std::string installation_type;  ///< "Client", "Server", "Server Core" (empty on XP/2003)
    unsigned major = 0, minor = 0;  ///< 6.1 = 7 / 2008 R2, 6.3 = 8.1 / 2012 R2, 10.0 = 10, 11, 2016+
    unsigned build = 0;             ///< CurrentBuildNumber
    std::string architecture;       ///< "amd64", "x86" or "arm64" (INF decoration spelling)
    unsigned current_control_set = 0;  ///< Select\Current
    std::vector<unsigned> control_sets;  ///< every distinct set Select names (Current, Default, LastKnownGood)
    bool driver_database = false;        ///< SYSTEM\DriverDatabase exists (Windows 8 / 2012 and later)
    bool critical_device_database = false;  ///< ControlSet\Control\CriticalDeviceDatabase exists
    std::vector<std::string> warnings;   ///< hive state warnings met while reading

    bool server() const { return installation_type.rfind("Server", 0) == 0; }
    /// "Windows Server 2012 R2 Standard (6.3 build 9600, amd64)"
    std::string describe() const;
    /// "ControlSet001"
    static std::string control_set_key(unsigned number);
    nlohmann::json to_json() const;
};

/// The system root of the volume: the first of \Windows, \WINNT, \win32, \win (any case) holding
/// System32\config\SYSTEM. Throws Error{failed} when none does ("no Windows on this volume").
std::string find_system_root(const ntfs::NtfsVolume& volume);

/// Reads SYSTEM and SOFTWARE read-only. Throws Error{failed} naming what is missing or unreadable.
WindowsInstall inspect_windows(const ntfs::NtfsVolume& volume);

}  // namespace dagda::windows::system
