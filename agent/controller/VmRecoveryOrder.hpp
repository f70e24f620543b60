#pragma once
/// A recovery of a server to a new VM, planned as data before anything is made
/// (docs/vm-recovery.md): from the operator's request, the server's chains in the archive folder
/// and the hypervisor's record, the new VM's profile, its disks (a volume each, sized from the
/// archived disk, or larger when asked), what Windows is inoculated for, and the steps, named
/// `<module>.<verb>`, that the recovery runner takes in order. Printed by a dry run; kept with the
/// recovery, so a restarted controller goes on with the same plan.

#include "controller/Store.hpp"
#include "recovery/ServerArchives.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace dagda::controller {

/// The order for `request` (POST /api/recoveries' body: {"server", "generation", "to": {"vm":
/// {...}}}); Error{usage} naming what is wrong with it. `archives` is the archive folder, or ""
/// for the archive store's bucket (the disks' "archive" is then SERVER/FILE, and "store" "bucket");
/// `helper_available`: the controller has a live ISO for helper VMs (else direct mode only).
nlohmann::json vm_recovery_order(const nlohmann::json& request, const recovery::ServerSummary& server, const HypervisorRecord& hypervisor,
                                 const std::string& archives, bool helper_available);

/// The catalog target (drivers/catalog.json) a Windows boots from on `bus` with `scsi_model`:
/// "ahci" for sata, "vmware-lsisas" for an ESX lsisas1068, …; Error{usage} for a pair the
/// catalog has no entry for.
std::string inoculation_target(const std::string& bus, const std::string& scsi_model);

/// The order's plan as lines for the operator (what a dry run prints).
std::vector<std::string> describe_order(const nlohmann::json& order);

}  // namespace dagda::controller
