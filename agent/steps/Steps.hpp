#pragma once
/// The recovery steps (docs/plan.md), registered as data for the job runner: each adapts one
/// domain module to jobs::StepSpec and holds no recovery logic of its own.

#include "disk/Layout.hpp"
#include "image/source/HttpsTrust.hpp"
#include "jobs/Step.hpp"
#include "steps/PlanDisks.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dagda::steps {

/// What the steps share: the plan's disks (resolved when the plan is loaded) and the machine.
struct StepEnvironment {
    std::unique_ptr<PlanDisks> disks;
    /// How https archives are verified: the agent's jobs trust their controller's origin by its
    /// pin or CA; `dagda run` and the console leave it empty (the system's CAs).
    image::HttpsTrust https_trust;
    /// The IDs of each storage controller of this machine, for `windows.inoculate` with "auto".
    std::function<std::vector<std::vector<std::string>>()> storage_controllers;
    std::vector<std::string> reboot_command{"reboot"};
    std::vector<std::string> poweroff_command{"poweroff"};
    /// Where this boot's id is read (machine.* steps tell a reboot by its change); the live
    /// image's tests name another file.
    std::string boot_id_file = "/proc/sys/kernel/random/boot_id";
    unsigned threads = 2;
    /// Filled while a plan is validated, step by step: the table each disk will have when a
    /// later step runs (set by disk.apply_layout), so that a restore is checked against it.
    std::map<std::string, disk::Layout> planned_layouts;
};

/// Every step: disk.apply_layout, disk.undo, image.restore, image.capture, windows.inoculate, windows.fixup_boot,
/// windows.restore_files, windows.set_identity, machine.reboot, machine.poweroff.
jobs::StepRegistry recovery_steps(StepEnvironment& environment);

void add_disk_steps(jobs::StepRegistry& registry, StepEnvironment& environment);
void add_image_steps(jobs::StepRegistry& registry, StepEnvironment& environment);
void add_capture_steps(jobs::StepRegistry& registry, StepEnvironment& environment);
void add_undo_steps(jobs::StepRegistry& registry, StepEnvironment& environment);
void add_windows_steps(jobs::StepRegistry& registry, StepEnvironment& environment);
void add_machine_steps(jobs::StepRegistry& registry, StepEnvironment& environment);

}  // namespace dagda::steps
