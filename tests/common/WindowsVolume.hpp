#pragma once
/// Synthetic Windows volumes for tests: mkntfs, a Windows folder tree, and SYSTEM and SOFTWARE
/// hives made with hivexregedit --merge from .reg text (on hivex's minimal hive, or on a real hive
/// from ../shared/fixtures).

#include "common/TempDir.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dagda::testing {

/// A hive file: `base` (a hive path; empty for ../shared/fixtures/hives/minimal-hive) with the
/// .reg `text` merged under `prefix` ("HKEY_LOCAL_MACHINE\\SYSTEM"). Empty when a tool or the
/// shared folder is missing.
std::string make_hive(const TempDir& dir, const std::string& name, const std::string& base, const std::string& prefix,
                      const std::string& text);

struct WindowsVolumeSpec {
    std::string system_hive;    ///< path of the SYSTEM hive to put in place
    std::string software_hive;  ///< path of the SOFTWARE hive
    std::string system_root = "Windows";
    std::uint64_t size = 64ull << 20;
    /// Extra files: volume path → content.
    std::vector<std::pair<std::string, std::string>> files;
};

/// An NTFS volume file holding `spec`; empty when mkntfs is missing.
std::string make_windows_volume(const TempDir& dir, const std::string& name, const WindowsVolumeSpec& spec);

/// A Windows 7 x64 SYSTEM hive (phony-windows-system.reg plus an Environment and a
/// CriticalDeviceDatabase), and a matching SOFTWARE hive.
std::string windows7_system_hive(const TempDir& dir);
std::string windows7_software_hive(const TempDir& dir);

/// The real Windows 8.1 x64 SYSTEM hive, and a SOFTWARE hive saying Server 2012 R2 build 9600.
std::string windows81_system_hive(const TempDir& dir);
std::string windows2012r2_software_hive(const TempDir& dir);

/// A Windows-like MBR disk image of 200 MiB, signature 0x43da9ab1: partition 1 (sector 2048,
/// 64 MiB) a System Reserved NTFS volume holding the ntloader BCD store as \Boot\BCD,
/// partition 2 (sector 133120, 96 MiB) the Windows volume: the Windows 7 phony hives, with
/// MountedDevices naming both partitions of this disk. Empty when a tool or fixture is missing.
std::string make_windows_disk(const TempDir& dir, const std::string& name);

/// Bytes with a PE header for `machine` (0x8664 amd64, 0x14c x86): a stand-in for a .sys.
std::string pe_driver(std::uint16_t machine);

/// A folder `drv` holding virtio-win's viostor.inx (../shared) and an amd64 viostor.sys: the
/// package inoculation for virtio-blk uses. Returns its path.
std::string viostor_driver_folder(const TempDir& dir);

/// True when hivexregedit and mkntfs are here; throws when the shared fixtures are missing.
bool windows_tools_present(const TempDir& dir);

}  // namespace dagda::testing
