#include "hypervisor/Hypervisor.hpp"

#include "core/Error.hpp"
#include "core/Units.hpp"

#include <libvirt/virterror.h>

#include <cstdlib>
#include <filesystem>
#include <sys/stat.h>

namespace dagda::hypervisor {

namespace {

[[noreturn]] void refuse(const std::string& why) { throw Error(ErrorKind::refused, why); }

}  // namespace

Hypervisor::Hypervisor(const HypervisorSettings& settings) : settings_(settings), flavour_(flavour_of(settings.uri)) {
    if (!settings_.credentials_file.empty()) credentials_ = std::make_unique<Credentials>(read_credentials(settings_.credentials_file));
    connection_ = std::make_unique<Connection>(settings_.uri, credentials_.get());
    pool_ = std::make_unique<StoragePool>(*connection_, settings_.pool);
    if (!settings_.network.empty() && settings_.network != "user" && flavour_ == Flavour::qemu && !network_exists(*connection_, settings_.network))
        throw Error(ErrorKind::failed, "the hypervisor " + settings_.uri + " has no network \"" + settings_.network + "\"");
}

std::string Hypervisor::domain_type() const {
    if (flavour_ == Flavour::esx) return "vmware";
    // On this machine (qemu:///system, qemu:///session), a /dev/kvm left root's only (no udev set
    // it up) is not for QEMU: libvirt may list KVM while QEMU's usual account cannot open the
    // device (such a VM would never start), and where that is this project's CI machine kind,
    // its nested KVM fails in the helper's boot code. Its VMs are emulated. Decided before libvirt
    // is asked: its capabilities may cost a new probe of QEMU there (seconds; scripts/setup).
    const bool local = settings_.uri.rfind("qemu:///", 0) == 0;
    struct stat kvm {};
    if (local && (::stat("/dev/kvm", &kvm) != 0 || (kvm.st_mode & 0066) == 0)) return "qemu";
    char* capabilities = virConnectGetCapabilities(connection_->get());
    if (!capabilities) fail("cannot read the capabilities of " + settings_.uri);
    const std::string text(capabilities);
    std::free(capabilities);
    return text.find("<domain type='kvm'") != std::string::npos ? "kvm" : "qemu";
}

void Hypervisor::check_room(std::uint64_t bytes) {
    const std::uint64_t available = pool_->available_bytes();
    if (available < bytes)
        refuse("the storage pool \"" + settings_.pool + "\" has " + human_bytes(available) + " free, and the new disks need " + human_bytes(bytes) +
               "; nothing was created");
}

void Hypervisor::check_vm_name_free(const std::string& name) {
    if (domain_exists(*connection_, name)) refuse("a VM named \"" + name + "\" exists on " + settings_.uri + "; a recovery never redefines one");
}

bool Hypervisor::has_volume(const std::string& name) {
    virStorageVolPtr found = virStorageVolLookupByName(pool_->get(), name.c_str());
    if (!found) {
        if (virGetLastErrorCode() == VIR_ERR_NO_STORAGE_VOL) return false;
        fail("cannot look for the volume \"" + name + "\" in the pool \"" + settings_.pool + "\"");
    }
    virStorageVolFree(found);
    return true;
}

MadeVolume Hypervisor::create_volume(const std::string& name, std::uint64_t bytes) {
    if (has_volume(name)) refuse("the storage pool \"" + settings_.pool + "\" holds a volume \"" + name + "\" already; it is not touched");
    StorageVolume volume(*pool_, name, volume_xml(name, bytes, flavour_));
    return {name, volume.path(), volume.capacity_bytes()};
}

MadeVolume Hypervisor::upload_volume(const std::string& name, const std::string& file) {
    std::error_code error;
    const std::uint64_t bytes = std::filesystem::file_size(file, error);
    if (error) throw Error(ErrorKind::failed, "cannot read " + file + ": " + error.message());
    if (has_volume(name)) refuse("the storage pool \"" + settings_.pool + "\" holds a volume \"" + name + "\" already; it is not touched");
    // Raw: an ISO is read by the VM's CD drive as it is.
    StorageVolume volume(*pool_, name, volume_xml(name, bytes, Flavour::qemu));
    try {
        volume.upload(file);
    } catch (...) {
        volume.remove();  // half an ISO is no ISO
        throw;
    }
    return {name, volume.path(), volume.capacity_bytes()};
}

MadeVolume Hypervisor::copy_volume(const std::string& source, const std::string& name) {
    if (has_volume(name)) refuse("the storage pool \"" + settings_.pool + "\" holds a volume \"" + name + "\" already; it is not touched");
    const StorageVolume from(*pool_, source);
    StorageVolume volume(*pool_, name, volume_xml(name, from.capacity_bytes(), flavour_), from);
    return {name, volume.path(), volume.capacity_bytes()};
}

std::uint64_t Hypervisor::volume_bytes(const std::string& name) { return StorageVolume(*pool_, name).capacity_bytes(); }

std::string Hypervisor::volume_path(const std::string& name) { return StorageVolume(*pool_, name).path(); }

void Hypervisor::delete_volume(const std::string& name) { StorageVolume(*pool_, name).remove(); }

std::string Hypervisor::define_new_vm(const VmSpec& spec) {
    const std::string xml = domain_xml(spec);  // refuses a spec the flavour cannot have, before anything is asked
    check_vm_name_free(spec.name);
    return Domain(*connection_, xml).xml();
}

void Hypervisor::define_helper(const VmSpec& spec) {
    domain_xml(spec);  // refuses a spec the flavour cannot have, before anything is touched
    VmSpec redefined = spec;
    if (domain_exists(*connection_, spec.name)) {
        Domain existing(*connection_, spec.name, Domain::Lookup::must_exist);
        if (existing.xml().find("<description>" + xml_escaped(spec.description) + "</description>") == std::string::npos)
            refuse("a VM named \"" + spec.name + "\" exists on " + settings_.uri + " and is not a Dagda helper; it is not touched");
        existing.stop_now();
        redefined.uuid = existing.uuid();  // libvirt redefines a VM only under its own UUID
    }
    Domain(*connection_, domain_xml(redefined));
}

void Hypervisor::stop_vm(const std::string& name) { Domain(*connection_, name, Domain::Lookup::must_exist).stop_now(); }

void Hypervisor::remove_vm(const std::string& name) {
    Domain domain(*connection_, name, Domain::Lookup::must_exist);
    domain.stop_now();
    domain.undefine();
}

bool Hypervisor::vm_running(const std::string& name) { return Domain(*connection_, name, Domain::Lookup::must_exist).running(); }

std::string Hypervisor::vm_xml(const std::string& name) { return Domain(*connection_, name, Domain::Lookup::must_exist).xml(); }

}  // namespace dagda::hypervisor
