#pragma once
/// One hypervisor as a recovery uses it: its libvirt connection, the storage pool new disks go
/// to and the network new VMs join, and the few things a recovery asks of it, each refusing
/// before it changes anything when it cannot be done (no room, a name taken). It never touches
/// a VM or volume it was not told to make or given by name.

#include "hypervisor/DomainXml.hpp"
#include "hypervisor/Libvirt.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dagda::hypervisor {

struct HypervisorSettings {
    std::string uri, pool, network;
    std::string credentials_file;  ///< "" for none
};

/// A volume made for a recovery: its name in the pool and where the hypervisor sees it.
struct MadeVolume {
    std::string name, path;
    std::uint64_t bytes = 0;
};

class Hypervisor {
public:
    /// Connects and finds the pool (active) and the network (when one is named). Throws
    /// Error{failed} naming what is missing or unreachable.
    explicit Hypervisor(const HypervisorSettings& settings);

    Flavour flavour() const noexcept { return flavour_; }
    /// "kvm" where the hypervisor offers it for x86_64, else "qemu" (TCG); "vmware" on ESX.
    std::string domain_type() const;
    const std::string& network() const noexcept { return settings_.network; }

    /// Refuses (Error{refused}) when the pool has less room than `bytes` in all.
    void check_room(std::uint64_t bytes);
    /// Refuses (Error{refused}) when a VM named `name` exists: a recovery never redefines one.
    void check_vm_name_free(const std::string& name);
    /// Whether the pool holds a volume `name`.
    bool has_volume(const std::string& name);
    /// A new volume of `bytes` (sparse/thin); Error{refused} when `name` exists in the pool.
    MadeVolume create_volume(const std::string& name, std::uint64_t bytes);
    /// A new volume `name` holding the bytes of `file`, uploaded through the hypervisor's API (so
    /// it works where the pool is on another host: the helper VM's ISO). Error{refused} when
    /// `name` exists in the pool.
    MadeVolume upload_volume(const std::string& name, const std::string& file);
    /// A new volume `name`, a copy of the pool's volume `source` (copy and recover: the frozen
    /// replica copied); Error{refused} when `name` exists in the pool.
    MadeVolume copy_volume(const std::string& source, const std::string& name);
    /// The size of the pool's volume `name`.
    std::uint64_t volume_bytes(const std::string& name);
    /// Deletes a volume a recovery made (by name).
    void delete_volume(const std::string& name);
    /// Defines a new VM (left off); Error{refused} when the name is taken. Returns libvirt's XML of it.
    std::string define_new_vm(const VmSpec& spec);
    /// Defines the helper VM of `spec`, or redefines it (its disks and CDs change from one
    /// recovery to the next), stopping it first when it runs. A VM of that name whose description
    /// is not `spec`'s (not a helper Dagda defined) is refused, Error{refused}, and left as it is.
    void define_helper(const VmSpec& spec);
    /// Where the hypervisor sees the pool's volume `name`.
    std::string volume_path(const std::string& name);
    /// Pulls the plug of a VM the recovery runs (the helper); nothing when it is off.
    void stop_vm(const std::string& name);
    /// Removes a VM a recovery defined (off first); its disks stay.
    void remove_vm(const std::string& name);
    bool vm_running(const std::string& name);
    std::string vm_xml(const std::string& name);
    const Connection& connection() const noexcept { return *connection_; }

private:
    HypervisorSettings settings_;
    Flavour flavour_;
    std::unique_ptr<Credentials> credentials_;  // kept for libvirt's callbacks while connected
    std::unique_ptr<Connection> connection_;
    std::unique_ptr<StoragePool> pool_;
};

}  // namespace dagda::hypervisor
