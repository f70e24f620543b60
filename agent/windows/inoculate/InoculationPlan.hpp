#pragma once
/// `dagda inoculate` as data: which drivers a Windows gets, the files copied into it and every
/// SYSTEM-hive change, computed from the volume without writing (plan_inoculation), printed,
/// then applied (apply_inoculation). docs/windows.md explains each step and why.

#include "windows/inoculate/DriverCatalog.hpp"
#include "windows/inoculate/DriverFolder.hpp"
#include "windows/inoculate/PackageFiles.hpp"
#include "windows/ntfs/NtfsVolume.hpp"
#include "windows/registry/RegistryEdit.hpp"
#include "windows/system/OfflineHive.hpp"
#include "windows/system/WindowsInstall.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dagda::windows::inoculate {

/// What the operator asked for.
struct InoculationRequest {
    std::vector<std::string> targets;  ///< --for names
    /// --auto: the IDs of each storage controller of the machine (hardware IDs, then compatible).
    std::optional<std::vector<std::vector<std::string>>> machine_devices;
    std::optional<std::string> drivers;     ///< --drivers DIR
    std::vector<std::string> disable;       ///< --disable SVC, on top of the catalog's list
};

/// One driver the plan makes boot: a catalog target or a package from --drivers.
struct DriverChoice {
    std::string target;         ///< catalog name, or the INF name for a package found on its own
    bool inbox = false;         ///< Windows ships it; only its start and binding are fixed
    std::vector<std::string> services;
    std::string package;        ///< the INF used (out-of-box), else ""
    std::string describe() const;
};

struct InoculationPlan {
    system::WindowsInstall windows;
    std::vector<DriverChoice> drivers;
    std::vector<FileCopyAction> files;
    std::vector<registry::RegistryEdit> system_edits;  ///< effective: each changes something
    std::vector<std::string> notes;                    ///< warnings and skipped INFs

    /// The whole plan, future tense, one action per line: each file "create", "replace" or "keep".
    std::string text() const;
    /// Files the plan writes (created or replaced; not those kept as they are).
    std::size_t files_to_write() const;
};

/// Computes the plan, reading `volume` for the files already there. Throws Error{failed} or
/// Error{refused} (nothing written) when a target is neither in-box nor supplied, a driver's
/// architecture is wrong, a package file is missing, --drivers holds no package that fits, a
/// package copies a file where a boot driver's files do not go, or a file it copies exists,
/// differs and is not that driver's own older copy (PackageFiles.hpp states both rules).
InoculationPlan plan_inoculation(const ntfs::NtfsVolume& volume, const system::OfflineHive& system_hive, const system::WindowsInstall& windows,
                                 const DriverCatalog& catalog, const InoculationRequest& request);

/// Writes the plan: files first (each read back; a replaced file is first copied to its backup,
/// and refused when the volume no longer holds what the plan saw), then the SYSTEM hive (saved
/// safely), so the hive never names a driver that is not on the volume. `said` receives each
/// action as done.
void apply_inoculation(ntfs::NtfsVolume& volume, system::OfflineHive& system_hive, const InoculationPlan& plan,
                       const std::function<void(const std::string&)>& said);

}  // namespace dagda::windows::inoculate
