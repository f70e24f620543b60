#pragma once
/// The inventory as `dagda inventory --json` prints it (docs/inventory.md): what the agent's
/// hello carries to the controller.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace dagda::app {

/// `disks` names the disks (block devices or image files) to report; empty: every disk.
nlohmann::json machine_inventory(const std::vector<std::string>& disks);

}  // namespace dagda::app
