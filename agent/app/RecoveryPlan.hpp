#pragma once
/// The plan of a whole-server recovery (what `dagda plan from-archive` prints and the console
/// runs): the archive's layout fitted to the disk, every volume, inoculation when a volume holds
/// Windows, and the boot fix-up for its NTFS volumes.

#include "disk/Target.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace dagda::app {

/// `inoculation` holds the windows.inoculate arguments ({"auto": true} or {"for": [...]}, and
/// "drivers"). Throws Error{failed} when the archive is a volume backup (no layout).
nlohmann::json recovery_plan(const std::string& archive, const disk::TargetInfo& target, const nlohmann::json& inoculation);

}  // namespace dagda::app
