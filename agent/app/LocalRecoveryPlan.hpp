#pragma once
/// The whole-server recovery plan (recovery/RecoveryPlan.hpp) for a disk probed at this machine:
/// what `dagda plan from-archive` prints and the console runs. The plan names the archive by the
/// same path or URL it is read from here.

#include "disk/Target.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace dagda::app {

/// `inoculation` holds the windows.inoculate arguments ({"auto": true} or {"for": [...]}, and
/// "drivers"). Throws Error{failed} when the archive is a volume backup (no layout).
nlohmann::json local_recovery_plan(const std::string& archive, const disk::TargetInfo& target, const nlohmann::json& inoculation);

}  // namespace dagda::app
