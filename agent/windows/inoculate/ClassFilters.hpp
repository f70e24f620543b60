#pragma once
/// Storage class filters that would stop a recovered Windows at boot: the disk, SCSI-adapter,
/// IDE/ATA and volume classes' UpperFilters and LowerFilters name drivers that load with every device of the
/// class. A name whose service is gone or disabled (an old hypervisor's filter such as
/// Parallels' prl_strg, an uninstalled encryption or antivirus filter) makes every disk fail to
/// start: 0x7B. Such names are removed; the rest of the list is kept in order.

#include "windows/registry/Hive.hpp"
#include "windows/registry/RegistryEdit.hpp"

#include <set>
#include <string>
#include <vector>

namespace dagda::windows::inoculate {

/// Edits for control set `control_set` (its key name): each filter list that names a service
/// missing from the hive, set to Start=4 there, or in `disabling` (lower-case names this plan
/// disables) is rewritten without those names, or removed when nothing is left.
std::vector<registry::RegistryEdit> class_filter_edits(const registry::Hive& system, const std::string& control_set,
                                                       const std::set<std::string>& disabling);

}  // namespace dagda::windows::inoculate
