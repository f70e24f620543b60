#pragma once
/// The disks a plan names, found by identity (serial, WWN, size, by-path), never by /dev name:
/// names like /dev/sda move between boots, and a plan run on the wrong disk erases it. An image
/// file (tests, preparing a VM's disk) is named by its path, with its size when known.

#include "disk/Safety.hpp"
#include "disk/Target.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace dagda::steps {

struct PlanDisk {
    std::string name;                   ///< the plan's name for it ("system")
    disk::TargetInfo target;
    disk::IdentityAssertions expected;  ///< checked again right before every write
};

class PlanDisks {
public:
    /// `disks` is the plan's "disks" object. Resolution problems (unknown keys, no match, two
    /// matches, a block device named by path only) are collected, not thrown.
    PlanDisks(const nlohmann::json& disks, std::vector<std::string>& problems, const disk::SystemRoots& roots = {});

    /// The disk named `name`; throws Error{usage} when the plan has none by that name or it did
    /// not resolve.
    const PlanDisk& get(const std::string& name) const;
    bool has(const std::string& name) const { return disks_.count(name) > 0; }

private:
    std::map<std::string, PlanDisk> disks_;
};

/// The identity to write into a plan for `target`: serial, WWN and by-path when the device has
/// them, its size, and its path for an image file.
nlohmann::json identity_of(const disk::TargetInfo& target);

}  // namespace dagda::steps
