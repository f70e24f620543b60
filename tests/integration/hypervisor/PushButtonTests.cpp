// Issue 15: push button recovery in direct mode, on a real libvirt pool with QEMU's tools and the
// shared Windows disk: the built-in engine's replica becomes a new VM in place (nothing copied,
// the session removed), or from a copy or a backup of it (replication resumed, the freeze window
// reported). The new VM is read back with virsh, its disk with ntfs-3g's tools and hivexget.

#include "common/Run.hpp"
#include "integration/hypervisor/ReplicaBench.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace dagda::testing;
namespace fs = std::filesystem;
using nlohmann::json;

TEST_CASE("push button: the replica's volume becomes the new VM's disk in place, inoculated, the session removed",
          "[hypervisor][integration][libvirt][root][push-button]") {
    LibvirtDaemons daemons;
    NEEDS_LIBVIRT(daemons);
    ReplicaBench bench;
    bench.add_replica();
    const std::string button = "push-button srv01 --hypervisor local --name " + bench.vm + " --direct --disable LSI_SAS --memory 512";

    const RunResult dry = bench.ctl(button + " --dry-run");
    INFO(dry.out << dry.err);
    REQUIRE(dry.exit_code == 0);
    CHECK_THAT(dry.out, Catch::Contains("push button: srv01's replica builtin/replica-1 (its volumes become the VM's disks; the session is removed)"));
    CHECK_THAT(dry.out, Catch::Contains("disk dagda-replica-srv01-disk1.img: ") && Catch::Contains("services turned off: LSI_SAS"));
    CHECK_THAT(dry.out, Catch::Contains("1. replica.check") && Catch::Contains("2. replica.freeze") && Catch::Contains("3. replica.make_bootable") &&
                            Catch::Contains("4. replica.inoculate") && Catch::Contains("5. replica.remove") && Catch::Contains("6. vm.define"));

    const RunResult pushed = bench.ctl(button);
    INFO(pushed.out << pushed.err << bench.controller->log());
    REQUIRE(pushed.exit_code == 0);
    CHECK_THAT(pushed.out, Catch::Contains("froze the replica at generation 1"));
    CHECK_THAT(pushed.out, Catch::Contains("5. replica.remove done in") && Catch::Contains("is defined and left off"));

    // `ctl watch` follows a recovery as it follows a job: each step with its duration.
    const RunResult watched = bench.ctl("watch recovery-1");
    INFO(watched.out << watched.err);
    CHECK(watched.exit_code == 0);
    CHECK_THAT(watched.out, Catch::Contains("2. replica.freeze done in") && Catch::Contains("recovery time achieved"));

    // The VM's disk is the replica's volume itself: nothing was copied.
    const std::string xml = virsh("dumpxml " + bench.vm);
    INFO(xml);
    CHECK_THAT(xml, Catch::Contains("<source file='" + bench.replica + "'/>"));
    CHECK_THAT(virsh("domstate " + bench.vm), Catch::StartsWith("shut off"));
    CHECK(std::distance(fs::directory_iterator(bench.pool.folder()), fs::directory_iterator{}) == 1);
    // Inoculated for the VM's SATA controller, the old hypervisor's driver off, NTFS clean.
    const std::string windows = windows_partition(bench.dir, bench.replica);
    CHECK(run("ntfsfix --no-action " + sh_quote(windows)).exit_code == 0);
    CHECK(hive_value(bench.dir, windows, "\\ControlSet001\\Services\\msahci", "Start") == "0\n");
    CHECK(hive_value(bench.dir, windows, "\\ControlSet001\\Services\\LSI_SAS", "Start") == "4\n");
    // The session is gone; a second push button finds none.
    CHECK(bench.builtin_session().is_null());
    const RunResult again = bench.ctl("push-button srv01 --hypervisor local --name " + bench.vm + "-2 --direct");
    CHECK(again.exit_code != 0);
    CHECK_THAT(again.err, Catch::Contains("no replication session of srv01"));
}

TEST_CASE("push button with copy: the frozen replica copied, replication resumed and caught up, the copy recovered",
          "[hypervisor][integration][libvirt][root][push-button]") {
    LibvirtDaemons daemons;
    NEEDS_LIBVIRT(daemons);
    ReplicaBench bench;
    bench.add_replica_at_generation_2();

    const RunResult pushed = bench.ctl("push-button srv01 --hypervisor local --name " + bench.vm + " --direct --copy --memory 512");
    INFO(pushed.out << pushed.err << bench.controller->log());
    REQUIRE(pushed.exit_code == 0);
    CHECK_THAT(pushed.out, Catch::Contains("copied dagda-replica-srv01-disk1.img to " + bench.vm + "-disk1.img"));
    CHECK_THAT(pushed.out, Catch::Contains("freeze window: "));
    const json recovery = bench.controller->api("GET", "/api/recoveries/recovery-1")["body"];
    CHECK(recovery["freeze_window_seconds"].get<double>() > 0);
    const std::string copy = bench.pool.folder() + "/" + bench.vm + "-disk1.img";
    CHECK_THAT(virsh("dumpxml " + bench.vm), Catch::Contains("<source file='" + copy + "'/>"));
    // The copy holds the replica's data (generation 2's new file) and was inoculated; the replica
    // was not touched by the inoculation.
    CHECK(windows_file(bench.dir, copy, "/disk1-g2.bin") == windows_file(bench.dir, bench.replica, "/disk1-g2.bin"));
    CHECK(hive_value(bench.dir, windows_partition(bench.dir, copy), "\\ControlSet001\\Services\\msahci", "Start") == "0\n");
    CHECK(file_digest(bench.replica) == file_digest(bench.full_restore(bench.archives + "/srv01/disk1-g2.tib", "full2.raw")));

    // Replication goes on: generation 3 reaches the replica.
    const std::string g3 = bench.next_generation("disk1-g3", "disk1-g2", 1u << 20);
    REQUIRE(eventually([&] { return bench.holds_generation(3); }, 120));
    CHECK(file_digest(bench.replica) == file_digest(bench.full_restore(g3, "full3.raw")));
}

TEST_CASE("push button with backup: the frozen replica backed up as a new generation, replication resumed, that generation recovered",
          "[hypervisor][integration][libvirt][root][push-button]") {
    LibvirtDaemons daemons;
    NEEDS_LIBVIRT(daemons);
    ReplicaBench bench;
    bench.add_replica_at_generation_2();

    const RunResult pushed = bench.ctl("push-button srv01 --hypervisor local --name " + bench.vm + " --direct --backup --memory 512");
    INFO(pushed.out << pushed.err << bench.controller->log());
    REQUIRE(pushed.exit_code == 0);
    CHECK_THAT(pushed.out, Catch::Contains("backed up as generation 3") && Catch::Contains("freeze window: "));
    // The new generation is in the archive, incremental on generation 2, and verifies.
    std::string backup;
    for (const auto& entry : fs::directory_iterator(bench.archives + "/srv01"))
        if (entry.path().filename().string().rfind("srv01-disk1-", 0) == 0) backup = entry.path().string();
    REQUIRE_FALSE(backup.empty());
    CHECK_FALSE(fs::exists(backup + ".partial"));
    const RunResult info = run(dagda_command() + " tib info " + sh_quote(backup));
    INFO(info.out);
    CHECK_THAT(info.out, Catch::Contains("incremental"));
    CHECK(run(dagda_command() + " tib verify " + sh_quote(backup)).exit_code == 0);
    // The VM's disk was restored from it: the replica's data, inoculated.
    const std::string disk = bench.pool.folder() + "/" + bench.vm + "-disk1.img";
    CHECK(windows_file(bench.dir, disk, "/disk1-g2.bin") == windows_file(bench.dir, bench.replica, "/disk1-g2.bin"));
    CHECK(hive_value(bench.dir, windows_partition(bench.dir, disk), "\\ControlSet001\\Services\\msahci", "Start") == "0\n");
    // Replication goes on, now from the backup's generation.
    REQUIRE(eventually([&] { return bench.holds_generation(3); }, 120));
    bench.next_generation("disk1-g4", fs::path(backup).stem().string(), 1u << 20);
    REQUIRE(eventually([&] { return bench.holds_generation(4); }, 120));
}

TEST_CASE("push button from the archive store's bucket: the replica kept from it, the frozen replica backed up into it and recovered, files "
          "brought back from it, then recovered in place",
          "[hypervisor][integration][libvirt][root][push-button][objectstore][rgw]") {
    LibvirtDaemons daemons;
    NEEDS_LIBVIRT(daemons);
    RgwSandbox store;
    ReplicaBench bench({}, 1, "local", &store);
    bench.add_replica_at_generation_2();  // both generations read by the engine from the bucket

    const RunResult pushed = bench.ctl("push-button srv01 --hypervisor local --name " + bench.vm + " --direct --backup --memory 512");
    INFO(pushed.out << pushed.err << bench.controller->log());
    REQUIRE(pushed.exit_code == 0);
    CHECK_THAT(pushed.out, Catch::Contains("backed up as generation 3") && Catch::Contains("into the bucket"));
    // The new generation is an object of the bucket, incremental on generation 2, and verifies.
    const std::string local = bench.backup_from_bucket();
    CHECK_THAT(run(dagda_command() + " tib info " + sh_quote(local)).out, Catch::Contains("incremental"));
    CHECK(run(dagda_command() + " tib verify " + sh_quote(local)).exit_code == 0);
    // Nothing of it is left on the controller's disk, and no URL in its events.
    CHECK(run("find " + sh_quote(bench.state) + " -name '*.tib*' -o -name '*.urls' | wc -l").out == "0\n");
    CHECK_THAT(bench.controller->api("GET", "/api/recoveries/recovery-1/events")["body"].dump(), !Catch::Contains("X-Amz-Signature"));
    // The VM's disk was restored from it, from the bucket: the replica's data, inoculated.
    const std::string disk = bench.pool.folder() + "/" + bench.vm + "-disk1.img";
    CHECK(windows_file(bench.dir, disk, "/disk1-g2.bin") == windows_file(bench.dir, bench.replica, "/disk1-g2.bin"));
    CHECK(hive_value(bench.dir, windows_partition(bench.dir, disk), "\\ControlSet001\\Services\\msahci", "Start") == "0\n");
    // Replication goes on from the backup's generation, read from the bucket.
    REQUIRE(eventually([&] { return bench.holds_generation(3); }, 120));

    // Generation 4 lands in the bucket; a file of it is brought back onto the new VM's disk from
    // there, by a plan of the controller's own only, and the replica takes it as a delta.
    const std::string report = "/" + fs::path(bench.next_generation("disk1-g4", fs::path(local).stem().string(), 500000)).stem().string() + ".bin";
    const nlohmann::json restored =
        bench.controller->api("POST", "/api/recoveries/recovery-1/restore-files", {{"generation", "disk1-g4.tib"}, {"volume", 2}, {"paths", {report}}});
    INFO(restored.dump() << bench.controller->log());
    REQUIRE(restored["status"] == 200);
    const std::string written = windows_file(bench.dir, bench.source, report);
    REQUIRE_FALSE(written.empty());
    CHECK(windows_file(bench.dir, disk, report) == written);
    CHECK(run("stat -c %a " + sh_quote(bench.state) + "/recoveries/recovery-1/restore-files-*.plan.json").out == "600\n");
    CHECK(run("find " + sh_quote(bench.state) + " -name '*.urls' | wc -l").out == "0\n");
    REQUIRE(eventually([&] { return bench.holds_generation(4); }, 120));

    // In place: the replica made bootable and inoculated by plans that read the bucket.
    const RunResult in_place = bench.ctl("push-button srv01 --hypervisor local --name " + bench.vm + "-in-place --direct --memory 512");
    INFO(in_place.out << in_place.err << bench.controller->log());
    REQUIRE(in_place.exit_code == 0);
    const std::string windows = windows_partition(bench.dir, bench.replica);
    CHECK(run("ntfsfix --no-action " + sh_quote(windows)).exit_code == 0);
    CHECK(hive_value(bench.dir, windows, "\\ControlSet001\\Services\\msahci", "Start") == "0\n");
    CHECK(run("stat -c %a " + sh_quote(bench.state + "/recoveries/recovery-2/disk1.replica-plan.json")).out == "600\n");
    CHECK(bench.builtin_session().is_null());
}
