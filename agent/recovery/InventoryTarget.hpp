#pragma once
/// The target disk of a recovery picked among the disks an agent reported in its inventory
/// (docs/inventory.md), named in the plan by what a block device is proven by: serial, WWN and
/// by-path name (docs/plan.md), never by its /dev name, which moves between boots.

#include "recovery/RecoveryPlan.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace dagda::recovery {

/// The disk of `inventory` ("disks" array) that `choice` names: its path, serial, WWN, or one of
/// its /dev/disk/by-id or by-path names (with or without that prefix). An empty `choice` picks
/// the only disk. Disks the agent could not read do not count. Throws Error{usage} naming the
/// problem: no disk or several match, the disk could not be read, or it is a block device with
/// no serial, WWN or by-path name to be found by.
RecoveryTarget inventory_target(const nlohmann::json& inventory, const std::string& choice);

/// The plan identity of one inventory disk: serial, WWN, first by-path name, model and size; an
/// image file by its path and size. Throws Error{usage} as above for a block device that has
/// none of serial, WWN and by-path.
nlohmann::json inventory_disk_identity(const nlohmann::json& disk);

}  // namespace dagda::recovery
