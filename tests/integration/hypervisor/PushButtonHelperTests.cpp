// Issue 15: push button recovery through the helper VM, on a real libvirt pool with QEMU under
// TCG and the shared Windows disk. The helper boots the live ISO and is lent the replica's own
// volume with a journal volume; its agent makes it bootable and inoculates it in place, under an
// undo journal on that volume, and stays up until the session is removed. Then the VM is defined
// on the replica's volume. A failure at the removal (an external adapter whose remove fails,
// while the helper VM is killed) has the helper started again to put the replica back byte for
// byte before replication resumes. With backup, the helper uploads the frozen replica's backup.

#include "common/Run.hpp"
#include "integration/hypervisor/ArrayAdapter.hpp"
#include "integration/hypervisor/HelperSite.hpp"
#include "integration/hypervisor/ReplicaBench.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace dagda::testing;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

/// The helper's definition holds no disk of a recovery, and it is off.
void check_helper_released(const std::string& helper) {
    const std::string xml = virsh("dumpxml " + helper);
    INFO(xml);
    CHECK_THAT(virsh("domstate " + helper), Catch::StartsWith("shut off"));
    CHECK_THAT(xml, !Catch::Contains("device='disk'") && !Catch::Contains("-settings.iso"));
}

}  // namespace

TEST_CASE("push button through the helper VM: the replica's volume is lent to the helper, fixed in place, and becomes the new VM's disk",
          "[hypervisor][integration][libvirt][root][push-button][helper]") {
    LibvirtDaemons daemons;
    NEEDS_LIBVIRT(daemons);
    ReplicaBench bench(helper_controller(live_iso(), 600), 1, "");
    bench.add_replica();
    const std::string helper = "dagda-helper-" + bench.site;
    const std::string button = "push-button srv01 --hypervisor " + bench.site + " --name " + bench.vm + " --disable LSI_SAS --memory 512";

    const RunResult dry = bench.ctl(button + " --dry-run");
    INFO(dry.out << dry.err);
    REQUIRE(dry.exit_code == 0);
    CHECK_THAT(dry.out, Catch::Contains("2. replica.make_journals") && Catch::Contains("4. helper.prepare") && Catch::Contains("8. replica.make_bootable") &&
                            Catch::Contains("10. replica.remove") && Catch::Contains("11. helper.detach") && Catch::Contains("13. vm.define"));

    const RunResult pushed = bench.ctl(button);
    const std::string console = bench.state + "/recoveries/recovery-1/helper-console.log";
    INFO(pushed.out << pushed.err << bench.controller->log() << "\nhelper console:\n" << (fs::exists(console) ? file_bytes(console) : ""));
    REQUIRE(pushed.exit_code == 0);
    CHECK_THAT(pushed.out, Catch::Contains("helper: windows.fixup_boot") && Catch::Contains("helper: windows.inoculate"));
    CHECK_THAT(pushed.out, Catch::Contains("10. replica.remove done in") && Catch::Contains("is defined and left off"));

    // The VM's disk is the replica's volume itself, nothing copied; the helper gave it back.
    const std::string xml = virsh("dumpxml " + bench.vm);
    INFO(xml);
    CHECK_THAT(xml, Catch::Contains("<source file='" + bench.replica + "'/>"));
    check_helper_released(helper);
    CHECK_FALSE(fs::exists(bench.pool.folder() + "/" + bench.vm + "-undo-disk1.img"));  // the journal volume, done with
    // Inoculated for the VM's SATA controller, the old hypervisor's driver off, NTFS clean.
    const std::string windows = windows_partition(bench.dir, bench.replica);
    CHECK(run("ntfsfix --no-action " + sh_quote(windows)).exit_code == 0);
    CHECK(hive_value(bench.dir, windows, "\\ControlSet001\\Services\\msahci", "Start") == "0\n");
    CHECK(hive_value(bench.dir, windows, "\\ControlSet001\\Services\\LSI_SAS", "Start") == "4\n");
    CHECK(bench.builtin_session().is_null());
}

TEST_CASE("push button with backup through the helper VM, from a bucket: the helper reads the base from the archive store's bucket, uploads the "
          "frozen replica's backup, the controller commits it into the bucket, then it is recovered from there",
          "[hypervisor][integration][libvirt][root][push-button][helper][objectstore][rgw]") {
    LibvirtDaemons daemons;
    NEEDS_LIBVIRT(daemons);
    // The helper reaches the store as 10.0.2.2 through QEMU's user network, the controller as 127.0.0.1.
    RgwSandbox store;
    const std::string port = store.endpoint().substr(store.endpoint().rfind(':') + 1);
    ReplicaBench bench(helper_controller(live_iso(), 600), 1, "", &store, "http://10.0.2.2:" + port);
    bench.add_replica_at_generation_2();

    const RunResult pushed = bench.ctl("push-button srv01 --hypervisor " + bench.site + " --name " + bench.vm + " --backup --memory 512");
    const std::string console = bench.state + "/recoveries/recovery-1/helper-console.log";
    INFO(pushed.out << pushed.err << bench.controller->log() << "\nhelper console:\n" << (fs::exists(console) ? file_bytes(console) : ""));
    REQUIRE(pushed.exit_code == 0);
    CHECK_THAT(pushed.out, Catch::Contains("helper: image.capture") && Catch::Contains("verified by the controller") && Catch::Contains("freeze window: "));
    CHECK_THAT(pushed.out, Catch::Contains("16. helper.restore done in") && Catch::Contains("is defined and left off"));
    // The new generation was uploaded by the helper: in the bucket, incremental on generation 2,
    // verified, and no upload left half done, neither in the bucket nor staged.
    const std::string local = bench.backup_from_bucket();
    CHECK(run("find " + sh_quote(bench.state + "/staging") + " -type f | wc -l").out == "0\n");
    const RunResult info = run(dagda_command() + " tib info " + sh_quote(local) + " --json");
    REQUIRE(info.exit_code == 0);
    CHECK(json::parse(info.out)["generations"].size() == 3);
    // The VM's disk was restored from it: the replica's data, inoculated; the helper released.
    const std::string disk = bench.pool.folder() + "/" + bench.vm + "-disk1.img";
    CHECK_THAT(virsh("dumpxml " + bench.vm), Catch::Contains("<source file='" + disk + "'/>"));
    CHECK(windows_file(bench.dir, disk, "/disk1-g2.bin") == windows_file(bench.dir, bench.replica, "/disk1-g2.bin"));
    CHECK(hive_value(bench.dir, windows_partition(bench.dir, disk), "\\ControlSet001\\Services\\msahci", "Start") == "0\n");
    check_helper_released("dagda-helper-" + bench.site);
    // Replication goes on from the backup's generation.
    REQUIRE(eventually([&] { return bench.holds_generation(3); }, 120));
}

TEST_CASE("push button through the helper VM: a failure at the session's removal has the helper put the replica back byte for byte",
          "[hypervisor][integration][libvirt][root][push-button][helper][adapter]") {
    LibvirtDaemons daemons;
    NEEDS_LIBVIRT(daemons);
    TempDir scratch;
    auto bench = std::make_unique<ReplicaBench>(helper_controller(live_iso(), 600), 2, "");
    // The array's replica of srv01: generation 1 restored onto a volume of the pool.
    const std::string volume = bench->pool.folder() + "/array-srv01-disk1.img";
    const std::string restored = bench->full_restore(bench->archive, "array.raw");
    REQUIRE(run("cp --sparse=always " + sh_quote(restored) + " " + sh_quote(volume) + " && virsh -c qemu:///system pool-refresh " + bench->pool.name() +
                " > /dev/null").exit_code == 0);
    const std::string script = write_array_adapter(scratch, bench->site, "array-srv01-disk1.img", fs::file_size(volume));
    // Its removal fails, after noting what the volume holds then; and the helper VM dies with it
    // (the hypervisor killed it): its undo journals are on volumes of their own, so it is started
    // again to put the replica back.
    const std::string helper = "dagda-helper-" + bench->site;
    std::ofstream(scratch.file("adapter/fail-remove")) << "sha256sum < " << sh_quote(volume) << " | cut -d' ' -f1 > at-remove; virsh -c qemu:///system destroy "
                                                       << helper << " > /dev/null; echo 'the array is busy' >&2; exit 7\n";
    bench->controller.reset();
    bench->controller = std::make_unique<ControllerProcess>(bench->dir, bench->state, 0, bench->archives, [&] {
        std::vector<std::string> options = helper_controller(live_iso(), 600);
        options.insert(options.end(), {"--replica-scan-seconds", "2", "--replication-timeout", "20", "--replication-adapter", "array=" + script});
        return options;
    }());
    const std::string frozen_state = file_digest(volume);

    const RunResult pushed = bench->ctl("push-button srv01 --hypervisor " + bench->site + " --adapter array --name " + bench->vm + " --memory 512");
    INFO(pushed.out << pushed.err << bench->controller->log());
    CHECK(pushed.exit_code == 1);
    // The helper wrote the boot fix-up and the inoculation, then the removal failed.
    CHECK_THAT(pushed.out, Catch::Contains("9. replica.inoculate done in") && Catch::Contains("10. replica.remove FAILED"));
    CHECK_THAT(pushed.out, Catch::Contains("it is started again to put the replica back from its undo journals"));
    CHECK_THAT(pushed.err, Catch::Contains("the replica was put back as it was at the freeze") && Catch::Contains("replication resumed"));
    // Written by the helper when the removal was asked; now byte for byte as frozen, handed back
    // by the helper, and replicating again.
    const std::string at_remove = file_bytes(scratch.file("adapter/at-remove"));
    CHECK(at_remove.size() == 65);
    CHECK(at_remove.substr(0, 64) != frozen_state);
    CHECK(file_digest(volume) == frozen_state);
    check_helper_released(helper);
    CHECK(file_bytes(scratch.file("adapter/state")) == "replicating\n");
    CHECK_FALSE(fs::exists(bench->pool.folder() + "/" + bench->vm + "-undo-disk1.img"));  // the journal volume, done with
    CHECK_THAT(virsh("list --all --name"), !Catch::Contains(bench->vm + "\n"));
}
