#pragma once
/// What `dagda inventory` says about one disk: identity, geometry, table and partitions with the
/// filesystem libblkid finds in each.

#include "disk/Target.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace dagda::disk {

/// Report for one disk or image file; throws Error{failed} when it cannot be opened.
nlohmann::json disk_report(const std::string& path, const SystemRoots& roots = {});

/// Whole-disk block devices the kernel lists in <sys>/block, as /dev paths, skipping RAM disks,
/// zram and loop devices with nothing attached.
std::vector<std::string> list_disks(const SystemRoots& roots = {});

/// Plain-text rendering of a disk report for the operator.
std::string disk_report_text(const nlohmann::json& report);

}  // namespace dagda::disk
