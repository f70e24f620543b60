#pragma once
/// Vendor driver packages from a folder (--drivers DIR, searched recursively): every INF (and
/// virtio-win .inx template) read for the target Windows, and the package files it names found
/// beside it, whatever their case.

#include "windows/inf/DriverPackage.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dagda::windows::inoculate {

struct FolderPackage {
    std::string inf_path;       ///< where the INF is on this machine
    std::string folder;         ///< its folder (package files are relative to it)
    inf::DriverPackage package; ///< as read for the target
};

struct FolderScan {
    std::vector<FolderPackage> packages;   ///< INFs that fit the target's version and architecture
    std::vector<std::string> not_fitting;  ///< "path: why" for INFs made for other Windows
};

/// Reads every .inf/.inx below `folder`. An INF that is malformed stops the scan with its error
/// (file and line): a broken vendor package must not be half-used. One that merely has no
/// [Manufacturer] decoration for this Windows is listed in not_fitting.
FolderScan scan_driver_folder(const std::string& folder, const inf::TargetWindows& target);

/// Whether the INF offers a [Manufacturer] decoration that fits the target.
bool offers_target(const inf::InfFile& inf, const inf::TargetWindows& target);

/// The file `relative` ('/' or '\' separated) below `folder`, matching each part
/// case-insensitively as Windows would; empty when it is not there.
std::string find_package_file(const std::string& folder, const std::string& relative);

/// The architecture a PE image (a .sys) is built for: "amd64", "x86", "arm64", or "" when the
/// bytes are not a PE image.
std::string pe_architecture(const std::vector<std::uint8_t>& image);

}  // namespace dagda::windows::inoculate
