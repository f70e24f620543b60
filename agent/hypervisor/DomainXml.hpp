#pragma once
/// The libvirt XML of the VMs and volumes Dagda makes: a recovered server's new VM and the helper
/// VM that restores into its disks. Two flavours, by the hypervisor's driver: QEMU/KVM
/// (qemu:///system, qemu+ssh://HOST/system) and VMware through libvirt's ESX driver (esx://,
/// vpx://, gsx://), whose XML stays within what that driver's VMX converter takes: SCSI disks on
/// an lsilogic, lsisas1068 or vmpvscsi controller (or IDE; no SATA), placed by their target
/// names, e1000, e1000e or vmxnet3 NICs on a port group (type='bridge'), BIOS or EFI firmware
/// (no Secure Boot), no disk serial numbers, no fw_cfg, no per-device boot order.
/// docs/vm-recovery.md lists what each flavour supports.

#include <cstdint>
#include <string>
#include <vector>

namespace dagda::hypervisor {

enum class Flavour { qemu, esx };

/// The flavour a libvirt URI speaks: esx://, vpx://, gsx:// are VMware; qemu… is QEMU/KVM;
/// test:///… (libvirt's fake driver, for unit tests) is QEMU. Throws Error{usage} for others.
Flavour flavour_of(const std::string& uri);

enum class Firmware { bios, uefi, uefi_secure_boot };

/// "bios", "uefi", "uefi-secure-boot"; Error{usage} for other names.
Firmware firmware_named(const std::string& name);
const char* firmware_name(Firmware firmware) noexcept;

/// One disk of a VM: where the hypervisor finds it, and the serial number the agent finds it by
/// (QEMU; ESX keeps none, there the disks are found by size and order).
struct VmDisk {
    std::string source;  ///< a file path (QEMU), "[datastore] folder/name.vmdk" (ESX)
    std::string serial;  ///< up to 20 characters: A-Z, a-z, 0-9, '-', '_'; "" for none
};

struct VmSpec {
    std::string name;
    std::string description;  ///< libvirt's <description> (an ESX VM's annotation); "" for none
    std::string uuid;         ///< "" for a new one; a VM redefined keeps its own
    Flavour flavour = Flavour::qemu;
    std::string domain_type = "qemu";  ///< QEMU: "kvm" where the host has it, else "qemu" (TCG)
    unsigned cpus = 2;
    std::uint64_t memory_mib = 2048;
    Firmware firmware = Firmware::bios;
    /// "sata" (QEMU), "scsi", "virtio" (QEMU's virtio-blk), "ide"; the new VM's Windows must boot from it.
    std::string disk_bus = "sata";
    /// The SCSI controller's model when disk_bus is "scsi": "virtio-scsi" (QEMU), "lsilogic",
    /// "lsisas1068", "vmpvscsi" (ESX).
    std::string scsi_model;
    std::vector<VmDisk> disks;  ///< the first boots
    std::string cdrom;          ///< an ISO the VM boots from before its disks ("" for none)
    std::string settings_cdrom; ///< a second CD (the helper's settings, ESX) ("" for none)
    std::string nic_model;      ///< "e1000", "e1000e", "vmxnet3", "virtio", "rtl8139"; "" for no NIC
    /// The libvirt network (QEMU) or port group (ESX) the NIC joins; "user" (QEMU only): QEMU's
    /// own NAT, by which a guest reaches the host's loopback as 10.0.2.2 (tests, a laptop).
    std::string network;
    std::string fw_cfg_cmdline;  ///< QEMU: opt/dagda/cmdline, the live image's settings ("" for none)
    std::string serial_log;      ///< QEMU: a file the VM's serial console goes to ("" for none)
};

/// The domain XML of `spec`; Error{usage} for a combination the flavour cannot have (virtio on
/// ESX, vmxnet3 on QEMU, fw_cfg on ESX, a serial that is not 1-20 safe characters).
std::string domain_xml(const VmSpec& spec);

/// The XML of a new volume `name` of `bytes` in a pool: raw (QEMU: a sparse file in a dir pool)
/// or a thin vmdk (ESX datastore).
std::string volume_xml(const std::string& name, std::uint64_t bytes, Flavour flavour);

/// `text` with &, <, >, ' and " as XML entities.
std::string xml_escaped(const std::string& text);

}  // namespace dagda::hypervisor
