// The VM and volume XML Dagda gives libvirt (issue 14), read back by libvirt's own parser: its
// test driver (test:///default, in-process) defines each domain and volume and returns the
// definition it understood. The ESX flavour is held to what libvirt's VMX converter takes
// (docs/vm-recovery.md); no ESXi is reachable here, so that path stays untested against one.

#include "core/Error.hpp"
#include "hypervisor/DomainXml.hpp"
#include "hypervisor/Libvirt.hpp"

#include <catch2/catch.hpp>

using namespace dagda::hypervisor;
using dagda::Error;

namespace {

VmSpec windows_vm(Flavour flavour) {
    VmSpec spec;
    spec.name = "srv01-recovered";
    spec.flavour = flavour;
    spec.cpus = 4;
    spec.memory_mib = 8192;
    spec.firmware = Firmware::uefi;
    spec.disk_bus = flavour == Flavour::esx ? "scsi" : "sata";
    spec.scsi_model = flavour == Flavour::esx ? "lsisas1068" : "";
    if (flavour == Flavour::esx) spec.disks = {{"[datastore1] srv01/srv01-disk1.vmdk", ""}, {"[datastore1] srv01/srv01-disk2.vmdk", ""}};
    else spec.disks = {{"/var/lib/libvirt/images/srv01-disk1.img", "DAGDA-7F3A-1"}, {"/var/lib/libvirt/images/srv01-disk2.img", "DAGDA-7F3A-2"}};
    spec.nic_model = flavour == Flavour::esx ? "vmxnet3" : "e1000e";
    spec.network = flavour == Flavour::esx ? "VM Network" : "default";
    return spec;
}

std::string refusal(const VmSpec& spec) {
    try {
        domain_xml(spec);
    } catch (const Error& e) {
        return e.what();
    }
    return "accepted";
}

}  // namespace

TEST_CASE("DomainXml: a recovered Windows VM on QEMU is what libvirt reads back", "[hypervisor][xml]") {
    const VmSpec spec = windows_vm(Flavour::qemu);
    Connection fake("test:///default", nullptr);
    Domain defined(fake, domain_xml(spec));
    const std::string xml = defined.xml();
    INFO(xml);
    CHECK_THAT(xml, Catch::Contains("<name>srv01-recovered</name>"));
    CHECK_THAT(xml, Catch::Contains("<memory unit='KiB'>8388608</memory>"));
    CHECK_THAT(xml, Catch::Contains(">4</vcpu>"));
    CHECK_THAT(xml, Catch::Contains("firmware='efi'"));
    CHECK_THAT(xml, Catch::Contains("<source file='/var/lib/libvirt/images/srv01-disk1.img'/>"));
    CHECK_THAT(xml, Catch::Contains("<target dev='sda' bus='sata'/>"));
    CHECK_THAT(xml, Catch::Contains("<target dev='sdb' bus='sata'/>"));
    CHECK_THAT(xml, Catch::Contains("<serial>DAGDA-7F3A-1</serial>"));
    CHECK_THAT(xml, Catch::Contains("<boot order='1'/>"));
    CHECK_THAT(xml, Catch::Contains("<source network='default'/>"));
    CHECK_THAT(xml, Catch::Contains("<model type='e1000e'/>"));
    CHECK_FALSE(defined.running());  // defined, not started
}

TEST_CASE("DomainXml: the helper VM boots its ISO first, takes its settings through fw_cfg and reaches the host by user networking",
          "[hypervisor][xml]") {
    VmSpec helper;
    helper.name = "dagda-helper-local";
    helper.memory_mib = 1024;
    helper.disk_bus = "scsi";
    helper.scsi_model = "virtio-scsi";
    helper.cdrom = "/pool/dagda-rescue.iso";
    helper.disks = {{"/pool/new-1.img", "DAGDA-0001"}};
    helper.nic_model = "virtio";
    helper.network = "user";
    helper.fw_cfg_cmdline = "dagda.controller=wss://10.0.2.2:8443 dagda.enrolment=helper-local dagda.token=ab<&>'\"";
    helper.serial_log = "/tmp/helper.log";
    const std::string generated = domain_xml(helper);
    CHECK_THAT(generated, Catch::Contains("dagda.token=ab&lt;&amp;&gt;&apos;&quot;</entry>"));
    Connection fake("test:///default", nullptr);
    const std::string xml = Domain(fake, generated).xml();
    INFO(xml);
    CHECK_THAT(xml, Catch::Contains("<entry name='opt/dagda/cmdline'>"));
    CHECK_THAT(xml, Catch::Contains("device='cdrom'"));
    CHECK_THAT(xml, Catch::Contains("<source file='/pool/dagda-rescue.iso'/>"));
    CHECK_THAT(xml, Catch::Contains("<target dev='sda' bus='scsi'/>"));
    CHECK_THAT(xml, Catch::Contains("model='virtio-scsi'"));
    CHECK_THAT(xml, Catch::Contains("<interface type='user'>"));
}

TEST_CASE("DomainXml: the VMware flavour stays within what libvirt's ESX driver takes", "[hypervisor][xml][esx]") {
    const VmSpec spec = windows_vm(Flavour::esx);
    const std::string xml = domain_xml(spec);
    INFO(xml);
    CHECK_THAT(xml, Catch::StartsWith("<domain type='vmware'>"));
    CHECK_THAT(xml, Catch::Contains("<source file='[datastore1] srv01/srv01-disk1.vmdk'/>"));
    CHECK_THAT(xml, Catch::Contains("<target dev='sda' bus='scsi'/>"));
    CHECK_THAT(xml, Catch::Contains("<target dev='sdb' bus='scsi'/>"));
    CHECK_THAT(xml, Catch::Contains("<controller type='scsi' index='0' model='lsisas1068'/>"));
    CHECK_THAT(xml, Catch::Contains("<interface type='bridge'>\n      <source bridge='VM Network'/>\n      <model type='vmxnet3'/>"));
    CHECK_THAT(xml, Catch::Contains("firmware='efi'"));
    // Nothing the VMX converter refuses or drops: no driver element, no serials, no boot order
    // per device, no machine type, no graphics, no fw_cfg.
    for (const char* absent : {"<driver", "<serial", "<boot", "<address", "machine=", "<graphics", "<sysinfo", "<features", "type='network'"})
        CHECK_THAT(xml, !Catch::Contains(absent));
    for (const char* model : {"lsilogic", "vmpvscsi"}) {
        VmSpec other = spec;
        other.scsi_model = model;
        CHECK_THAT(domain_xml(other), Catch::Contains(std::string("model='") + model + "'"));
    }
    VmSpec e1000e = spec;
    e1000e.nic_model = "e1000e";
    CHECK_THAT(domain_xml(e1000e), Catch::Contains("<model type='e1000e'/>"));
}

TEST_CASE("DomainXml: combinations a hypervisor cannot have are refused with the reason", "[hypervisor][xml]") {
    VmSpec esx = windows_vm(Flavour::esx);
    esx.disk_bus = "virtio";
    CHECK_THAT(refusal(esx), Catch::Contains("ESX driver has no virtio disks"));
    esx.disk_bus = "sata";
    CHECK_THAT(refusal(esx), Catch::Contains("ESX driver has no sata disks"));
    esx = windows_vm(Flavour::esx);
    esx.firmware = Firmware::uefi_secure_boot;
    CHECK_THAT(refusal(esx), Catch::Contains("Secure Boot"));
    esx = windows_vm(Flavour::esx);
    esx.scsi_model = "virtio-scsi";
    CHECK_THAT(refusal(esx), Catch::Contains("lsilogic, lsisas1068 or vmpvscsi"));
    esx = windows_vm(Flavour::esx);
    esx.fw_cfg_cmdline = "dagda.mode=agent";
    CHECK_THAT(refusal(esx), Catch::Contains("no fw_cfg"));
    esx = windows_vm(Flavour::esx);
    esx.disks[0].serial = "DAGDA-1";
    CHECK_THAT(refusal(esx), Catch::Contains("no disk serial"));
    VmSpec qemu = windows_vm(Flavour::qemu);
    qemu.nic_model = "vmxnet3";
    CHECK_THAT(refusal(qemu), Catch::Contains("a QEMU NIC is"));
    qemu = windows_vm(Flavour::qemu);
    qemu.name = "srv01'><devices>";
    CHECK_THAT(refusal(qemu), Catch::Contains("a VM name is"));
    qemu = windows_vm(Flavour::qemu);
    qemu.disks[0].serial = "serial with spaces";
    CHECK_THAT(refusal(qemu), Catch::Contains("a disk serial is"));
    CHECK_THROWS_WITH(flavour_of("http://esx.lan"), Catch::Contains("qemu:///system"));
    CHECK(flavour_of("vpx://vcenter.lan/dc1/esx1") == Flavour::esx);
    CHECK(flavour_of("qemu+ssh://kvm1/system") == Flavour::qemu);
}

TEST_CASE("DomainXml: a new volume is a sparse raw file on QEMU, a thin vmdk on ESX", "[hypervisor][xml]") {
    Connection fake("test:///default", nullptr);
    StoragePool pool(fake, "default-pool");
    const std::uint64_t before = pool.available_bytes();
    StorageVolume made(pool, "srv01-disk1.img", volume_xml("srv01-disk1.img", 3ull << 30, Flavour::qemu));
    CHECK(made.capacity_bytes() == 3ull << 30);
    CHECK_THAT(made.path(), Catch::EndsWith("srv01-disk1.img"));
    CHECK(pool.available_bytes() <= before);
    made.remove();
    CHECK_THROWS_WITH(StorageVolume(pool, "srv01-disk1.img"), Catch::Contains("no volume \"srv01-disk1.img\""));
    CHECK_THAT(volume_xml("d.vmdk", 1 << 30, Flavour::esx), Catch::Contains("<format type='vmdk'/>"));
    CHECK_THROWS_WITH(StoragePool(fake, "no-such-pool"), Catch::Contains("no storage pool \"no-such-pool\""));
    CHECK_THROWS_WITH(Connection("qemu+tcp://127.0.0.1:1/system", nullptr), Catch::Contains("cannot connect to the hypervisor"));
}
