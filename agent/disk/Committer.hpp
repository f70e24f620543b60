#pragma once
/// Commit: performs a plan's actions in order on its target.

#include "disk/Plan.hpp"

#include <functional>
#include <string>
#include <vector>

namespace dagda::disk {

/// Called before each action starts (for progress lines: action.doing_text()).
using ActionObserver = std::function<void(const Action&)>;

/// Performs `plan` on its target: libparted builds and writes the table, TableWriter sets the
/// exact identity fields, the boot code is written, and the result is read back with libblkid
/// and compared with the plan. Call only after check_target_safe. Throws Error{failed} on any
/// failure, Error{refused} when the target changed since the plan was made. Returns libparted's
/// warnings (e.g. that the kernel could not be told), for the operator.
std::vector<std::string> commit_plan(const Plan& plan, const ActionObserver& on_action);

}  // namespace dagda::disk
