#pragma once
/// What depends on the Windows installation an INF is read for: stamping of virtio-win style
/// templates, the [Manufacturer] TargetOSVersion decoration that fits, and the DDInstall
/// platform variant (`x.NTamd64` over `x.NT` over `x`).

#include "windows/inf/InfFile.hpp"

#include <optional>
#include <string>
#include <vector>

namespace dagda::windows::inf {

/// The Windows installation a driver package is chosen for (read from the offline SOFTWARE hive).
struct TargetWindows {
    unsigned major = 10;          ///< CurrentMajorVersionNumber (6 for Vista..8.1, 10 for 10/11)
    unsigned minor = 0;           ///< CurrentMinorVersionNumber
    unsigned build = 0;           ///< CurrentBuildNumber (22000 and later is Windows 11)
    std::string arch = "amd64";   ///< "x86", "amd64", "arm64" ("arm" and "ia64" are accepted too)
    bool server = false;          ///< InstallationType "Server" / "Server Core"
};

/// "10.0.19045 amd64" (with " server" when it is one), for messages.
std::string describe(const TargetWindows& target);

/// Lower-cased target.arch when it is one INF decorations know; throws Error{failed} otherwise.
std::string checked_arch(const TargetWindows& target);

/// The dirid virtio-win's INX_PLATFORM_DRIVERS_DIR stands for: 13 (run from the DriverStore)
/// on Windows 11 and later (10.0 build 22000 and up), 12 (System32\drivers) before.
unsigned platform_drivers_dirid(const TargetWindows& target);

/// The INF with template tokens stamped for `target`, as stampinf and the virtio-win build do:
/// `$ARCH$` becomes the architecture, `INX_PLATFORM_DRIVERS_DIR` the dirid above, and
/// `_INX_SUBSYS_VENDOR_ID` becomes `1AF4`. Other INX_ tokens stay as text. A file without
/// tokens comes back unchanged.
InfFile stamp_template(const InfFile& inf, const TargetWindows& target);

/// One parsed TargetOSVersion: `NT[arch][.major[.minor[.productType[.suiteMask[.build]]]]]`.
struct OsDecoration {
    std::string text;                           ///< as written, e.g. "NTamd64.10.0...16299"
    std::string arch;                           ///< lower-case; empty when not given
    std::optional<std::uint32_t> major, minor, product_type, suite_mask, build;
    bool valid = true;                          ///< false when it is not of the form above
};

/// Parses a TargetOSVersion decoration (case-insensitive); never throws (bad ones are !valid).
OsDecoration parse_os_decoration(const std::string& text);

/// Whether a decoration may be used on `target`: same architecture (none written means x86
/// only, since non-x86 Windows requires one), version major.minor.build at most the target's,
/// product type 1 for workstations and 2/3 for servers, and no suite mask (the target's suites
/// are not known, so such a decoration is never taken).
bool fits(const OsDecoration& decoration, const TargetWindows& target);

/// The decoration Windows would pick among `decorations` for `target`: the highest version that
/// fits, an explicit architecture and product type winning ties. An empty string stands for the
/// undecorated Models section, which fits x86 only and ranks last. std::nullopt when none fits.
std::optional<std::string> best_decoration(const std::vector<std::string>& decorations, const TargetWindows& target);

/// The DDInstall section that serves `install` on `target`: `install.NT<arch>`, then
/// `install.NT`, then `install` itself, the first that exists. Throws inf_error at `line` when
/// none does.
std::string install_variant(const InfFile& inf, const std::string& install, const TargetWindows& target, unsigned line);

}  // namespace dagda::windows::inf
