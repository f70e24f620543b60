// Issue 14: a real hypervisor through libvirt (qemu:///system, QEMU under TCG here): new disks in
// a dir pool, a new VM defined with them and left off, and the refusals that come before
// anything is made. libvirt's state is read back with virsh, independently of the code tested.

#include "common/Run.hpp"
#include "core/Error.hpp"
#include "hypervisor/Hypervisor.hpp"
#include "integration/hypervisor/LibvirtFixture.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

#include <sys/stat.h>

using namespace dagda::testing;
using namespace dagda::hypervisor;
namespace fs = std::filesystem;

namespace {

std::string refusal(const std::function<void()>& action) {
    try {
        action();
    } catch (const dagda::Error& e) {
        return std::string(dagda::to_string(e.kind())) + ": " + e.what();
    }
    return "done";
}

}  // namespace

TEST_CASE("hypervisor: on qemu:///system new disks are made in the pool and a new VM is defined with them, left off",
          "[hypervisor][integration][libvirt][root]") {
    LibvirtDaemons daemons;
    if (!daemons) {
        WARN("skipped: libvirtd cannot be started here (needs root, scripts/setup's libvirt packages)");
        return;
    }
    TempDir dir;
    TestPool pool(dir);
    Hypervisor site({"qemu:///system", pool.name(), "", ""});
    CHECK(site.flavour() == Flavour::qemu);
    // KVM where QEMU's own account can open /dev/kvm; emulated where it is root's only.
    struct stat kvm {};
    const bool usable = ::stat("/dev/kvm", &kvm) == 0 && (kvm.st_mode & 0066) != 0;
    CHECK(site.domain_type() == (usable ? "kvm" : "qemu"));

    // Room is checked before anything is made; a name in use is never touched.
    CHECK_THAT(refusal([&] { site.check_room(1ull << 60); }), Catch::StartsWith("refused: the storage pool \"" + pool.name() + "\" has "));
    const MadeVolume disk1 = site.create_volume(pool.name_prefix() + "disk1.img", 64ull << 20);
    const MadeVolume disk2 = site.create_volume(pool.name_prefix() + "disk2.img", 32ull << 20);
    CHECK(disk1.path == pool.folder() + "/" + pool.name_prefix() + "disk1.img");
    CHECK(fs::file_size(disk1.path) == 64ull << 20);
    struct stat sparse {};
    REQUIRE(::stat(disk1.path.c_str(), &sparse) == 0);
    CHECK(sparse.st_blocks * 512 < (1 << 20));  // sparse: nothing written yet
    CHECK_THAT(refusal([&] { site.create_volume(pool.name_prefix() + "disk1.img", 1 << 20); }), Catch::Contains("holds a volume") && Catch::Contains("not touched"));

    VmSpec spec;
    spec.name = pool.name_prefix() + "srv01";
    spec.domain_type = site.domain_type();
    spec.memory_mib = 512;
    spec.cpus = 1;
    spec.disk_bus = "sata";
    spec.disks = {{disk1.path, "DAGDA-T1"}, {disk2.path, "DAGDA-T2"}};
    spec.nic_model = "e1000e";
    spec.network = "user";
    site.define_new_vm(spec);
    const std::string xml = virsh("dumpxml " + spec.name);
    INFO(xml);
    CHECK_THAT(xml, Catch::Contains("<serial>DAGDA-T1</serial>") && Catch::Contains("<serial>DAGDA-T2</serial>"));
    CHECK_THAT(xml, Catch::Contains("<source file='" + disk2.path + "'/>"));
    CHECK_THAT(xml, Catch::Contains("<model type='e1000e'/>"));
    CHECK_THAT(virsh("domstate " + spec.name), Catch::StartsWith("shut off"));
    CHECK_THAT(refusal([&] { site.define_new_vm(spec); }), Catch::Contains("exists") && Catch::Contains("never redefines"));

    // A UEFI VM of the same disks is one QEMU runs: started, seen running, stopped, removed;
    // its disks stay.
    VmSpec uefi = spec;
    uefi.name = pool.name_prefix() + "uefi";
    uefi.firmware = Firmware::uefi;
    site.define_new_vm(uefi);
    CHECK_THAT(virsh("dumpxml " + uefi.name), Catch::Contains("<os firmware='efi'>"));
    Domain(site.connection(), uefi.name, Domain::Lookup::must_exist).start();
    CHECK(site.vm_running(uefi.name));
    CHECK_THAT(virsh("dumpxml " + uefi.name), Catch::Contains("OVMF"));  // libvirt chose the firmware as it started
    site.remove_vm(uefi.name);
    CHECK_THAT(virsh("list --all --name"), !Catch::Contains(uefi.name));
    CHECK(fs::exists(disk1.path));
    // A file uploaded into the pool through libvirt's stream (the helper's ISO, on a remote pool too).
    const std::string iso = dir.file("live.iso");
    REQUIRE(run("head -c 3000000 /dev/urandom > " + sh_quote(iso)).exit_code == 0);
    const MadeVolume uploaded = site.upload_volume(pool.name_prefix() + "live.iso", iso);
    CHECK(uploaded.bytes == 3000000);
    CHECK(run("cmp " + sh_quote(iso) + " " + sh_quote(uploaded.path)).exit_code == 0);
    CHECK_THAT(refusal([&] { site.upload_volume(pool.name_prefix() + "live.iso", iso); }), Catch::Contains("holds a volume"));
    site.delete_volume(pool.name_prefix() + "disk2.img");
    CHECK_FALSE(fs::exists(disk2.path));
    CHECK_THAT(refusal([] { Hypervisor({"qemu:///system", "no-such-pool-here", "", ""}); }), Catch::Contains("no storage pool \"no-such-pool-here\""));
    CHECK_THAT(refusal([&] { Hypervisor({"qemu:///system", pool.name(), "no-such-network", ""}); }), Catch::Contains("no network \"no-such-network\""));
}
