#pragma once
/// Push button recovery planned as data (docs/vm-recovery.md, "Push button"): a server's replica,
/// kept current by a replication engine, becomes a new VM. Three uses of the replica:
///   - in place: the replica's volumes become the VM's disks (nothing copied), made bootable and
///     inoculated where they are; the replication session is removed (the point of no return);
///   - copy: the frozen replica copied (libvirt's volume clone), replication resumed, the copies
///     recovered;
///   - backup: the frozen replica captured into a new generation of the server's archive (used
///     blocks only, incremental on its newest), replication resumed, that generation recovered.
/// The VM's profile, disks' sizes and inoculation come from the recovery-to-VM order
/// (VmRecoveryOrder) of the generation that describes the server's disks.

#include "controller/ReplicationContract.hpp"
#include "controller/Store.hpp"
#include "recovery/ServerArchives.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace dagda::controller {

/// The replica a push button request names (its "from": {"replica": {...}}), among `sessions`
/// (every adapter's): the one of the server when it has one, or the adapter and session asked
/// for. Error{usage} naming what is wrong.
ReplicaSession replica_for(const nlohmann::json& request, const std::vector<ReplicaSession>& sessions);

/// The order for a push button `request` (POST /api/recoveries with "from": {"replica": …}).
/// Error{usage} naming what is wrong with it.
nlohmann::json push_button_order(const nlohmann::json& request, const recovery::ServerSummary& server, const HypervisorRecord& hypervisor,
                                 const ReplicaSession& replica, const std::string& archives, bool helper_available);

/// Whether `order` uses a replica (its "kind" is push-button).
inline bool is_push_button(const nlohmann::json& order) { return order.value("kind", "") == "push-button"; }

}  // namespace dagda::controller
