#include "hypervisor/DomainXml.hpp"

#include "core/Error.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace dagda::hypervisor {

namespace {

[[noreturn]] void refuse(const std::string& why) { throw Error(ErrorKind::usage, why); }

bool one_of(const std::string& value, std::initializer_list<const char*> allowed) {
    return std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return value == a; });
}

/// sda, sdb, … sdz, sdaa: the target name of the `index`th device of a bus with prefix `sd`.
std::string device_name(const std::string& prefix, std::size_t index) {
    std::string letters;
    for (std::size_t n = index + 1; n > 0; n = (n - 1) / 26) letters.insert(letters.begin(), static_cast<char>('a' + (n - 1) % 26));
    return prefix + letters;
}

std::string prefix_of(const std::string& bus) {
    if (bus == "virtio") return "vd";
    if (bus == "ide") return "hd";
    return "sd";
}

void check(const VmSpec& spec) {
    if (spec.name.empty() || spec.name.size() > 64 ||
        !std::all_of(spec.name.begin(), spec.name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'; }))
        refuse("a VM name is 1 to 64 letters, digits, '-', '_' or '.', not \"" + spec.name + "\"");
    if (spec.cpus < 1 || spec.cpus > 128) refuse("a VM has 1 to 128 CPUs");
    if (spec.memory_mib < 256 || spec.memory_mib > (4u << 20)) refuse("a VM has 256 MiB to 4 TiB of memory");
    const bool esx = spec.flavour == Flavour::esx;
    if (!one_of(spec.disk_bus, {"sata", "scsi", "virtio", "ide"})) refuse("the disk bus is sata, scsi, virtio or ide, not " + spec.disk_bus);
    // libvirt's VMX converter (src/vmx/vmx.c) writes scsi and ide disks only; it refuses sata.
    if (esx && (spec.disk_bus == "virtio" || spec.disk_bus == "sata"))
        refuse("libvirt's ESX driver has no " + spec.disk_bus + " disks: use scsi (with lsilogic, lsisas1068 or vmpvscsi) or ide");
    if (spec.disk_bus == "scsi") {
        if (esx && !one_of(spec.scsi_model, {"lsilogic", "lsisas1068", "vmpvscsi"}))
            refuse("a VMware SCSI controller is lsilogic, lsisas1068 or vmpvscsi, not \"" + spec.scsi_model + "\"");
        if (!esx && !one_of(spec.scsi_model, {"virtio-scsi", "lsilogic"}))
            refuse("a QEMU SCSI controller is virtio-scsi or lsilogic, not \"" + spec.scsi_model + "\"");
    }
    if (!spec.nic_model.empty()) {
        if (esx && !one_of(spec.nic_model, {"e1000", "e1000e", "vmxnet3"})) refuse("a VMware NIC is e1000, e1000e or vmxnet3, not " + spec.nic_model);
        if (!esx && !one_of(spec.nic_model, {"e1000", "e1000e", "virtio", "rtl8139"}))
            refuse("a QEMU NIC is e1000, e1000e, virtio or rtl8139, not " + spec.nic_model);
        if (spec.network.empty()) refuse("a NIC needs the network (or port group) it joins");
        if (esx && spec.network == "user") refuse("VMware has no user-mode network: name a port group");
    }
    if (esx && spec.firmware == Firmware::uefi_secure_boot) refuse("libvirt's ESX driver cannot turn Secure Boot on: use uefi there");
    if (esx && (!spec.fw_cfg_cmdline.empty() || !spec.serial_log.empty())) refuse("VMware has no fw_cfg and no serial log file: use the settings CD");
    if (spec.disk_bus == "ide" && spec.disks.size() + !spec.cdrom.empty() + !spec.settings_cdrom.empty() > 4) refuse("an IDE bus holds 4 devices");
    for (const VmDisk& disk : spec.disks) {
        if (disk.source.empty()) refuse("a disk of the VM " + spec.name + " names no volume");
        if (esx && !disk.serial.empty()) refuse("VMware keeps no disk serial numbers; the disks are found by size and order there");
        if (disk.serial.size() > 20 ||
            !std::all_of(disk.serial.begin(), disk.serial.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; }))
            refuse("a disk serial is up to 20 letters, digits, '-' or '_', not \"" + disk.serial + "\"");
    }
}

/// One <disk>: the hypervisor's file, the bus and target, the serial, the boot order.
void write_disk(std::ostream& out, const VmSpec& spec, const std::string& device, const std::string& source, const std::string& bus,
                const std::string& target, const std::string& serial, int boot_order) {
    const bool esx = spec.flavour == Flavour::esx;
    out << "    <disk type='file' device='" << device << "'>\n";
    if (!esx) out << "      <driver name='qemu' type='raw'" << (device == "disk" ? " cache='none' io='native'" : "") << "/>\n";
    out << "      <source file='" << xml_escaped(source) << "'/>\n";
    out << "      <target dev='" << target << "' bus='" << bus << "'/>\n";
    if (!serial.empty()) out << "      <serial>" << xml_escaped(serial) << "</serial>\n";
    if (device == "cdrom") out << "      <readonly/>\n";
    // ESX: no boot order per device (the VMX converter drops it; the first disk boots) and no
    // <address>: the target name alone places the device (sdh is scsi0:8, unit 7 being the
    // controller's), and an address that disagrees with it is refused.
    if (boot_order > 0 && !esx) out << "      <boot order='" << boot_order << "'/>\n";
    out << "    </disk>\n";
}

}  // namespace

Flavour flavour_of(const std::string& uri) {
    const std::string scheme = uri.substr(0, uri.find(':'));
    if (scheme == "esx" || scheme == "vpx" || scheme == "gsx") return Flavour::esx;
    if (scheme.rfind("qemu", 0) == 0 || scheme == "test") return Flavour::qemu;
    refuse("a hypervisor URI is qemu:///system, qemu+ssh://HOST/system, esx://HOST or vpx://VCENTER/DC/HOST, not " + uri);
}

Firmware firmware_named(const std::string& name) {
    if (name == "bios") return Firmware::bios;
    if (name == "uefi") return Firmware::uefi;
    if (name == "uefi-secure-boot") return Firmware::uefi_secure_boot;
    refuse("the firmware is bios, uefi or uefi-secure-boot, not " + name);
}

const char* firmware_name(Firmware firmware) noexcept {
    switch (firmware) {
        case Firmware::bios: return "bios";
        case Firmware::uefi: return "uefi";
        case Firmware::uefi_secure_boot: return "uefi-secure-boot";
    }
    return "?";
}

std::string xml_escaped(const std::string& text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '\'': out += "&apos;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string domain_xml(const VmSpec& spec) {
    check(spec);
    const bool esx = spec.flavour == Flavour::esx;
    const bool uefi = spec.firmware != Firmware::bios, secure = spec.firmware == Firmware::uefi_secure_boot;
    std::ostringstream out;
    out << "<domain type='" << (esx ? "vmware" : spec.domain_type) << "'>\n";
    out << "  <name>" << spec.name << "</name>\n";
    if (!spec.uuid.empty()) out << "  <uuid>" << xml_escaped(spec.uuid) << "</uuid>\n";
    if (!spec.description.empty()) out << "  <description>" << xml_escaped(spec.description) << "</description>\n";
    out << "  <memory unit='KiB'>" << spec.memory_mib * 1024 << "</memory>\n";
    out << "  <vcpu>" << spec.cpus << "</vcpu>\n";
    if (!spec.fw_cfg_cmdline.empty())
        out << "  <sysinfo type='fwcfg'>\n    <entry name='opt/dagda/cmdline'>" << xml_escaped(spec.fw_cfg_cmdline) << "</entry>\n  </sysinfo>\n";
    out << "  <os" << (uefi ? " firmware='efi'" : "") << ">\n";
    out << "    <type arch='x86_64'" << (esx ? "" : " machine='q35'") << ">hvm</type>\n";
    if (uefi && !esx)
        out << "    <firmware>\n      <feature enabled='" << (secure ? "yes" : "no") << "' name='secure-boot'/>\n      <feature enabled='"
            << (secure ? "yes" : "no") << "' name='enrolled-keys'/>\n    </firmware>\n";
    out << "  </os>\n";
    if (!esx) out << "  <features>\n    <acpi/>\n    <apic/>\n" << (secure ? "    <smm state='on'/>\n" : "") << "  </features>\n";
    out << "  <devices>\n";
    // Disks first, in order (ESX puts the .vmx beside the first), then the CDs: on SATA for QEMU,
    // on IDE for ESX (and wherever the disks are IDE).
    const std::string cd_bus = esx || spec.disk_bus == "ide" ? "ide" : "sata";
    int boot = spec.cdrom.empty() ? 1 : 2;
    for (std::size_t i = 0; i < spec.disks.size(); ++i)
        write_disk(out, spec, "disk", spec.disks[i].source, spec.disk_bus, device_name(prefix_of(spec.disk_bus), i), spec.disks[i].serial, boot++);
    std::size_t cd_index = prefix_of(cd_bus) == prefix_of(spec.disk_bus) ? spec.disks.size() : 0;  // sata and scsi share sdX names
    if (!spec.cdrom.empty()) {
        write_disk(out, spec, "cdrom", spec.cdrom, cd_bus, device_name(prefix_of(cd_bus), cd_index), "", 1);
        ++cd_index;
    }
    if (!spec.settings_cdrom.empty())
        write_disk(out, spec, "cdrom", spec.settings_cdrom, cd_bus, device_name(prefix_of(cd_bus), cd_index), "", 0);
    if (spec.disk_bus == "scsi") out << "    <controller type='scsi' index='0' model='" << spec.scsi_model << "'/>\n";
    if (!spec.nic_model.empty()) {
        if (spec.network == "user") out << "    <interface type='user'>\n";
        else if (esx) out << "    <interface type='bridge'>\n      <source bridge='" << xml_escaped(spec.network) << "'/>\n";
        else out << "    <interface type='network'>\n      <source network='" << xml_escaped(spec.network) << "'/>\n";
        out << "      <model type='" << spec.nic_model << "'/>\n    </interface>\n";
    }
    if (!spec.serial_log.empty())
        out << "    <serial type='file'>\n      <source path='" << xml_escaped(spec.serial_log) << "'/>\n      <target port='0'/>\n    </serial>\n";
    if (!esx) out << "    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>\n    <video>\n      <model type='vga'/>\n    </video>\n";
    out << "  </devices>\n</domain>\n";
    return out.str();
}

std::string volume_xml(const std::string& name, std::uint64_t bytes, Flavour flavour) {
    std::ostringstream out;
    out << "<volume>\n  <name>" << xml_escaped(name) << "</name>\n  <capacity unit='bytes'>" << bytes << "</capacity>\n";
    // Thin: a dir pool's raw file is sparse, an ESX vmdk thin-provisioned (allocation 0).
    out << "  <allocation unit='bytes'>0</allocation>\n";
    out << "  <target>\n    <format type='" << (flavour == Flavour::esx ? "vmdk" : "raw") << "'/>\n  </target>\n</volume>\n";
    return out.str();
}

}  // namespace dagda::hypervisor
