// Issue 14: a server's backup recovered to a new VM through the helper VM. The controller puts
// the live ISO and a settings CD into the pool, defines the helper, attaches the new disks under
// serials it chose, boots it under QEMU/TCG through real libvirtd, and its agent (enrolled by the
// controller, reaching it at 10.0.2.2 through QEMU's user network) runs one plan and powers
// off. The new VM and its disk are read back with virsh, sfdisk, ntfs-3g's tools and hivexget,
// and compared with what direct mode makes of the same archive. The two-disk server is read from
// the archive store's bucket (a real Ceph RGW), which the helper reaches at 10.0.2.2 too.

#include "common/ChildProcess.hpp"
#include "integration/hypervisor/RecoveryBench.hpp"
#include "integration/hypervisor/HelperSite.hpp"
#include "integration/hypervisor/SiteBrowser.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>

using namespace dagda::testing;
namespace fs = std::filesystem;

namespace {

/// The test's pool as the hypervisor `name` (named after the pool, so TestPool removes its helper
/// VM too), and the controller started with `options`: its helpers boot `iso` and have
/// `hello_seconds` to say hello.
struct HelperSite {
    std::string name, helper;
    std::vector<std::string> options;
    HelperSite(RecoveryBench& bench, const std::string& iso, int hello_seconds)
        : name(bench.pool.name()), helper("dagda-helper-" + name), options(helper_controller(iso, hello_seconds)) {
        bench.start_controller(options, name);
    }
};

std::string digest(const std::string& file) { return run("sha256sum < " + sh_quote(file)).out; }

/// An ISO that boots nothing: its helper never says hello, and only a cancel ends the wait.
std::string boots_nothing_iso(RecoveryBench& bench) {
    fs::create_directories(bench.dir.file("nothing"));
    std::ofstream(bench.dir.file("nothing/readme.txt")) << "no system here\n";
    const std::string iso = bench.dir.file("boots-nothing.iso");
    REQUIRE(run("xorriso -as mkisofs -o " + sh_quote(iso) + " " + sh_quote(bench.dir.file("nothing")) + " > /dev/null 2>&1").exit_code == 0);
    return iso;
}

/// Whether recovery `id` has reached its wait for the helper's hello.
bool waiting_for_hello(const ControllerProcess& controller, const std::string& id) {
    const nlohmann::json answer = controller.api("GET", "/api/recoveries/" + id + "/events");
    for (const auto& e : answer["body"]["events"])
        if (e.value("event", "") == "step_started" && e.value("step", "") == "helper.hello") return true;
    return false;
}

}  // namespace

TEST_CASE("recover-vm: through the helper VM, a server's backup becomes a new VM with the same disk as direct mode makes",
          "[hypervisor][integration][libvirt][root][vm-recovery][helper]") {
    LibvirtDaemons daemons;
    NEEDS_LIBVIRT(daemons);
    RecoveryBench bench;
    const HelperSite site(bench, live_iso(), 600);
    const std::string& vm = bench.vm;

    const RunResult dry = bench.ctl("recover-vm srv01 --hypervisor " + site.name + " --name " + vm + " --dry-run");
    INFO(dry.out << dry.err);
    REQUIRE(dry.exit_code == 0);
    CHECK_THAT(dry.out, Catch::Contains("(helper mode)") && Catch::Contains("3. helper.prepare") && Catch::Contains("7. helper.restore") &&
                            Catch::Contains("9. vm.define"));

    // An operator follows it in the console meanwhile: the recovery page, live.
    add_site_operator(bench);
    ChildProcess watcher({"sh", "-c", site_browser_command(bench, "watch", "--recovery recovery-1 --seconds 900")}, {}, bench.dir.file("watcher.err"));
    const RunResult recovered = bench.ctl("recover-vm srv01 --hypervisor " + site.name + " --name " + vm + " --memory 1024");
    const std::string console = bench.state + "/recoveries/recovery-1/helper-console.log";
    INFO(recovered.out << recovered.err << bench.controller->log() << "\nhelper console:\n" << (fs::exists(console) ? file_bytes(console) : ""));
    REQUIRE(recovered.exit_code == 0);
    // What the page showed while the helper restored: each step's bar and words, from its agent's
    // events (relayed once a second), with the amount done of the total and the rate.
    std::string watched;
    while (const auto line = watcher.read_line(std::chrono::seconds(120))) watched += *line + "\n";
    INFO(watched);
    CHECK(watcher.wait() == 0);
    CHECK_THAT(watched, Catch::Contains("seen running: helper.restore") && Catch::Contains("helper: image.restore: "));
    CHECK_THAT(recovered.out, Catch::Contains("uploading the live ISO as dagda-live-"));
    CHECK_THAT(recovered.out, Catch::Contains("6. helper.hello done in") && Catch::Contains("7. helper.restore done in"));
    CHECK_THAT(recovered.out, Catch::Contains("helper: image.restore: 100%"));  // ctl prints a phase's end, whatever its throttle
    CHECK_THAT(recovered.out, Catch::Contains("is defined and left off; recovery time achieved: "));
    // The helper read its settings from the CD the controller made (the mechanism ESXi needs too).
    CHECK_THAT(file_bytes(console), Catch::Contains("settings from the CD"));

    // The new VM: its disk under the serial the controller chose, SATA, BIOS, shut off.
    const std::string xml = virsh("dumpxml " + vm);
    INFO(xml);
    CHECK_THAT(xml, Catch::Contains("bus='sata'") && Catch::Contains("<serial>DAGDA-") && Catch::Contains("<model type='e1000e'/>"));
    CHECK_THAT(virsh("domstate " + vm), Catch::StartsWith("shut off"));
    // The helper: off, defined, its new disks and settings CD detached, only the live ISO left.
    const std::string helper_xml = virsh("dumpxml " + site.helper);
    INFO(helper_xml);
    CHECK_THAT(virsh("domstate " + site.helper), Catch::StartsWith("shut off"));
    CHECK_THAT(helper_xml, Catch::Contains("Dagda helper VM") && Catch::Contains("dagda-live-") && !Catch::Contains("device='disk'") &&
                               !Catch::Contains("-settings.iso"));
    for (const auto& file : fs::directory_iterator(bench.pool.folder()))  // its settings CD (and token) gone with it
        CHECK_THAT(file.path().filename().string(), !Catch::EndsWith("-settings.iso"));

    // Its disk: the source's layout, NTFS that checks clean, Windows booting the in-box AHCI driver.
    const std::string volume = bench.pool.folder() + "/" + vm + "-disk1.img";
    CHECK(layout_of(volume) == layout_of(bench.source));
    const std::string windows = windows_partition(bench.dir, volume);
    CHECK(run("ntfsfix --no-action " + sh_quote(windows)).exit_code == 0);
    CHECK(hive_value(bench.dir, windows, "\\ControlSet001\\Services\\msahci", "Start") == "0\n");

    // Direct mode on the same archive: the same layout, the same first partition byte for byte.
    const RunResult direct = bench.ctl("recover-vm srv01 --hypervisor " + site.name + " --name " + vm + "-direct --direct --memory 1024");
    INFO(direct.out << direct.err);
    REQUIRE(direct.exit_code == 0);
    const std::string direct_volume = bench.pool.folder() + "/" + vm + "-direct-disk1.img";
    CHECK(layout_of(direct_volume) == layout_of(volume));
    CHECK(digest(partition_copy(bench.dir, volume, 1, "helper-p1")) == digest(partition_copy(bench.dir, direct_volume, 1, "direct-p1")));
    const std::string direct_windows = partition_copy(bench.dir, direct_volume, 2, "direct-p2");
    CHECK(hive_value(bench.dir, direct_windows, "\\ControlSet001\\Services\\msahci", "Start") == "0\n");
}

TEST_CASE("recover-vm: a helper that never says hello ends the recovery at helper.hello, the cleanup detaches and removes the new disks only",
          "[hypervisor][integration][libvirt][root][vm-recovery][helper]") {
    LibvirtDaemons daemons;
    NEEDS_LIBVIRT(daemons);
    RecoveryBench bench;
    // An ISO that boots nothing: the helper's firmware finds no system, its agent never starts.
    fs::create_directories(bench.dir.file("nothing"));
    std::ofstream(bench.dir.file("nothing/readme.txt")) << "no system here\n";  // xorriso writes no image of an empty folder
    const std::string iso = bench.dir.file("boots-nothing.iso");
    REQUIRE(run("xorriso -as mkisofs -o " + sh_quote(iso) + " " + sh_quote(bench.dir.file("nothing")) + " > /dev/null 2>&1").exit_code == 0);
    REQUIRE(fs::exists(iso));
    const std::string bystander = bench.pool.folder() + "/bystander.img";
    REQUIRE(run("truncate -s 1M " + sh_quote(bystander) + " && virsh -c qemu:///system pool-refresh " + bench.pool.name() + " > /dev/null").exit_code == 0);
    const HelperSite site(bench, iso, 10);

    const RunResult failed = bench.ctl("recover-vm srv01 --hypervisor " + site.name + " --name " + bench.vm + " --memory 512");
    INFO(failed.out << failed.err << bench.controller->log());
    CHECK(failed.exit_code == 1);
    CHECK_THAT(failed.out, Catch::Contains("6. helper.hello FAILED: the helper VM's agent did not say hello within 10 s"));
    CHECK_THAT(virsh("domstate " + site.helper), Catch::StartsWith("shut off"));
    CHECK_THAT(virsh("dumpxml " + site.helper), Catch::Contains("<serial>DAGDA-"));  // still attached, as "made" lists
    CHECK_THAT(virsh("list --all --name"), !Catch::Contains(bench.vm + "\n"));

    const RunResult cleaned = bench.ctl("recovery recovery-1 --cleanup");
    INFO(cleaned.out << cleaned.err);
    CHECK(cleaned.exit_code == 0);
    CHECK_THAT(cleaned.out, Catch::Contains("detached the new disks from the helper VM " + site.helper));
    CHECK_THAT(cleaned.out, Catch::Contains("removed the volume " + bench.vm + "-disk1.img"));
    CHECK_THAT(virsh("dumpxml " + site.helper), !Catch::Contains("device='disk'"));
    CHECK_FALSE(fs::exists(bench.pool.folder() + "/" + bench.vm + "-disk1.img"));
    CHECK(fs::exists(bystander));
    CHECK(bench.controller->api("GET", "/api/recoveries/recovery-1")["body"]["state"] == "cleaned");
}

TEST_CASE("recover-vm: a recovery cancelled while its helper boots fails at once as cancelled, and the cleanup removes what it made",
          "[hypervisor][integration][libvirt][root][vm-recovery][helper][cancel]") {
    LibvirtDaemons daemons;
    NEEDS_LIBVIRT(daemons);
    RecoveryBench bench;
    // An ISO that boots nothing, and ten minutes to say hello: only a cancel ends this wait.
    const HelperSite site(bench, boots_nothing_iso(bench), 600);
    const nlohmann::json queued = bench.controller->api(
        "POST", "/api/recoveries", {{"server", "srv01"}, {"to", {{"vm", {{"hypervisor", site.name}, {"name", bench.vm}, {"memory_mib", 512}}}}}});
    REQUIRE(queued["status"] == 201);
    const std::string id = queued["body"]["id"];
    const bool waiting = eventually([&] { return waiting_for_hello(*bench.controller, id); }, 120);
    INFO(bench.controller->api("GET", "/api/recoveries/" + id + "/events").dump() << bench.controller->log());
    REQUIRE(waiting);
    const auto asked = std::chrono::steady_clock::now();
    const RunResult cancelled = bench.ctl("recovery " + id + " --cancel");
    INFO(cancelled.out << cancelled.err << bench.controller->log());
    CHECK(cancelled.exit_code == 1);
    CHECK_THAT(cancelled.out, Catch::Contains("helper.hello FAILED: cancelled by the operator"));
    CHECK(std::chrono::steady_clock::now() - asked < std::chrono::seconds(20));
    const nlohmann::json recovery = bench.controller->api("GET", "/api/recoveries/" + id)["body"];
    CHECK(recovery["state"] == "failed");
    CHECK_THAT(recovery["reason"].get<std::string>(), Catch::Contains("cancelled by the operator"));
    CHECK_THAT(virsh("domstate " + site.helper), Catch::StartsWith("shut off"));
    CHECK(bench.controller->api("POST", "/api/recoveries/" + id + "/cancel")["status"] == 409);  // it has ended
    const RunResult cleaned = bench.ctl("recovery " + id + " --cleanup");
    INFO(cleaned.out << cleaned.err);
    CHECK(cleaned.exit_code == 0);
    CHECK_FALSE(fs::exists(bench.pool.folder() + "/" + bench.vm + "-disk1.img"));
    CHECK(bench.controller->api("GET", "/api/recoveries/" + id)["body"]["state"] == "cleaned");
}

TEST_CASE("recover-vm: a cancel asked just before the controller stops is kept: the recovery resumed after the restart fails as cancelled",
          "[hypervisor][integration][libvirt][root][vm-recovery][helper][cancel]") {
    LibvirtDaemons daemons;
    NEEDS_LIBVIRT(daemons);
    RecoveryBench bench;
    const std::string iso = boots_nothing_iso(bench);
    const HelperSite site(bench, iso, 600);
    const unsigned short port = bench.controller->port();
    const nlohmann::json queued = bench.controller->api(
        "POST", "/api/recoveries", {{"server", "srv01"}, {"to", {{"vm", {{"hypervisor", site.name}, {"name", bench.vm}, {"memory_mib", 512}}}}}});
    REQUIRE(queued["status"] == 201);
    const std::string id = queued["body"]["id"];
    REQUIRE(eventually([&] { return waiting_for_hello(*bench.controller, id); }, 120));
    // The cancel, then at once a stop: the runner's wait for hello looks once a second, and sees
    // the stop first, so the recovery is left running for the restart to resume.
    CHECK(bench.controller->api("POST", "/api/recoveries/" + id + "/cancel")["status"] == 202);
    bench.controller->kill(SIGTERM);
    bench.controller = std::make_unique<ControllerProcess>(bench.dir, bench.state, port, bench.archives, site.options);

    const bool ended = eventually([&] { return bench.controller->api("GET", "/api/recoveries/" + id)["body"]["state"] != "running"; }, 60);
    const nlohmann::json recovery = bench.controller->api("GET", "/api/recoveries/" + id)["body"];
    INFO(recovery.dump() << bench.controller->api("GET", "/api/recoveries/" + id + "/events").dump() << bench.controller->log());
    REQUIRE(ended);  // without the kept cancel, it would wait ten minutes for a hello
    CHECK(recovery["state"] == "failed");
    CHECK_THAT(recovery["reason"].get<std::string>(), Catch::Contains("helper.hello failed: cancelled by the operator"));
    const RunResult cleaned = bench.ctl("recovery " + id + " --cleanup");
    INFO(cleaned.out << cleaned.err);
    CHECK(cleaned.exit_code == 0);
    CHECK_THAT(virsh("domstate " + site.helper), Catch::StartsWith("shut off"));
    CHECK_FALSE(fs::exists(bench.pool.folder() + "/" + bench.vm + "-disk1.img"));
}

TEST_CASE("recover-vm: a helper whose agent fails a step ends the recovery at helper.restore with the agent's reason, the cleanup detaches the disks",
          "[hypervisor][integration][libvirt][root][vm-recovery][helper]") {
    LibvirtDaemons daemons;
    NEEDS_LIBVIRT(daemons);
    RecoveryBench bench;
    bench.damage_archive();
    const HelperSite site(bench, live_iso(), 600);

    const RunResult failed = bench.ctl("recover-vm srv01 --hypervisor " + site.name + " --name " + bench.vm + " --memory 512");
    INFO(failed.out << failed.err << bench.controller->log());
    CHECK(failed.exit_code == 1);
    CHECK_THAT(failed.out, Catch::Contains("helper: image.restore (step 2) failed"));
    CHECK_THAT(failed.out, Catch::Contains("7. helper.restore FAILED: the helper's job job-1 failed"));
    CHECK_THAT(virsh("list --all --name"), !Catch::Contains(bench.vm + "\n"));

    const RunResult cleaned = bench.ctl("recovery recovery-1 --cleanup");
    INFO(cleaned.out << cleaned.err);
    CHECK(cleaned.exit_code == 0);
    CHECK_THAT(cleaned.out, Catch::Contains("detached the new disks from the helper VM " + site.helper));
    CHECK_THAT(virsh("domstate " + site.helper), Catch::StartsWith("shut off"));
    CHECK_THAT(virsh("dumpxml " + site.helper), !Catch::Contains("device='disk'"));
    CHECK_FALSE(fs::exists(bench.pool.folder() + "/" + bench.vm + "-disk1.img"));
}

TEST_CASE("recover-vm: a controller stopped while the helper restores goes on with the same job after its restart",
          "[hypervisor][integration][libvirt][root][vm-recovery][helper]") {
    LibvirtDaemons daemons;
    NEEDS_LIBVIRT(daemons);
    RecoveryBench bench;
    const HelperSite site(bench, live_iso(), 600);
    const unsigned short port = bench.controller->port();  // the helper's settings CD names it

    const RunResult queued = bench.ctl("recover-vm srv01 --hypervisor " + site.name + " --name " + bench.vm + " --memory 512 --no-watch");
    INFO(queued.out << queued.err);
    REQUIRE(queued.exit_code == 0);
    // Stopped (as a service manager stops it) once the helper's job is submitted, before it ends:
    // the step under way is cut short, neither done nor failed.
    REQUIRE(eventually([&] { return bench.controller->api("GET", "/api/recoveries/recovery-1")["body"]["made"]["helper"].contains("jobs"); }, 300));
    bench.controller->kill(SIGTERM);
    // What the database holds between the two runs: still running, at helper.restore (index 6).
    const std::string state = run("sqlite3 " + sh_quote(bench.state + "/controller.db") + " \"SELECT state, next_step FROM recoveries\"").out;
    CHECK(state == "running|6\n");
    bench.controller = std::make_unique<ControllerProcess>(bench.dir, bench.state, port, bench.archives, site.options);

    const RunResult watched = bench.ctl("recovery recovery-1 --watch");
    INFO(watched.out << watched.err << bench.controller->log());
    CHECK(watched.exit_code == 0);
    CHECK_THAT(watched.out, Catch::Contains("7. helper.restore done in") && Catch::Contains("is defined and left off"));
    const nlohmann::json recovery = bench.controller->api("GET", "/api/recoveries/recovery-1")["body"];
    CHECK(recovery["state"] == "succeeded");
    CHECK(recovery["made"]["helper"]["jobs"]["restore"]["job"] == "job-1");  // the same job, never submitted twice
    CHECK(bench.controller->api("GET", "/api/jobs")["body"]["jobs"].size() == 1);
    CHECK_THAT(bench.controller->log(), Catch::Contains("recovery-1: the VM " + bench.vm + " is defined"));
    CHECK_THAT(virsh("domstate " + bench.vm), Catch::StartsWith("shut off"));
    CHECK_THAT(virsh("dumpxml " + site.helper), !Catch::Contains("device='disk'"));
    const std::string windows = windows_partition(bench.dir, bench.pool.folder() + "/" + bench.vm + "-disk1.img");
    CHECK(hive_value(bench.dir, windows, "\\ControlSet001\\Services\\msahci", "Start") == "0\n");
}

TEST_CASE("recover-vm: a helper VM powered off from outside while its job is under way ends the recovery at helper.restore within a minute and a half",
          "[hypervisor][integration][libvirt][root][vm-recovery][helper]") {
    LibvirtDaemons daemons;
    NEEDS_LIBVIRT(daemons);
    RecoveryBench bench;
    const HelperSite site(bench, live_iso(), 600);
    const RunResult queued = bench.ctl("recover-vm srv01 --hypervisor " + site.name + " --name " + bench.vm + " --memory 512 --no-watch");
    INFO(queued.out << queued.err);
    REQUIRE(queued.exit_code == 0);
    // Off as soon as its job is submitted: the job (seconds of work) can never report its end.
    REQUIRE(eventually([&] { return bench.controller->api("GET", "/api/recoveries/recovery-1")["body"]["made"]["helper"].contains("jobs"); }, 300));
    virsh("destroy " + site.helper);
    const auto off = std::chrono::steady_clock::now();
    const RunResult watched = bench.ctl("recovery recovery-1 --watch");
    const auto waited = std::chrono::steady_clock::now() - off;
    INFO(watched.out << watched.err << bench.controller->log());
    CHECK(watched.exit_code == 1);
    const nlohmann::json recovery = bench.controller->api("GET", "/api/recoveries/recovery-1")["body"];
    CHECK(recovery["state"] == "failed");
    CHECK_THAT(recovery["reason"].get<std::string>(), Catch::Contains("helper.restore failed: the helper VM " + site.helper + " is off and its job job-1 never reported how it ended"));
    CHECK(waited >= std::chrono::seconds(55));  // a minute's grace: an agent's last report may be on its way
    CHECK(waited < std::chrono::seconds(90));
    CHECK_THAT(virsh("list --all --name"), !Catch::Contains(bench.vm + "\n"));  // no VM defined from a restore that never ended
}

TEST_CASE("recover-vm: a two-disk, three-volume server is recovered from the archive store's bucket in one helper run onto virtio disks, each "
          "found by its serial, Windows given the vendor driver from the settings CD",
          "[hypervisor][integration][libvirt][root][vm-recovery][helper][objectstore][rgw]") {
    LibvirtDaemons daemons;
    NEEDS_LIBVIRT(daemons);
    RecoveryBench bench;
    // Disk 2: a GPT data disk with one ext4 volume (copied whole by capture and restore).
    const std::string data = bench.dir.file("data.img");
    fs::create_directories(bench.dir.file("files"));
    std::ofstream(bench.dir.file("files/ledger.csv")) << "day,amount\n2026-12-04,1200\n";
    // mke2fs on a file of its own (with an offset it would cut the disk short, and GPT's backup header with it).
    const std::string ext4 = bench.dir.file("ext4.img");
    REQUIRE(run("truncate -s 46M " + sh_quote(ext4) + " && mke2fs -q -t ext4 -d " + sh_quote(bench.dir.file("files")) + " " + sh_quote(ext4) +
                " && truncate -s 48M " + sh_quote(data) + " && sgdisk -n 1:2048:+46M -t 1:8300 " + sh_quote(data) + " > /dev/null && dd if=" + sh_quote(ext4) +
                " of=" + sh_quote(data) + " bs=1M seek=1 conv=notrunc status=none").exit_code == 0);
    REQUIRE(run(dagda_command() + " tib capture --disk " + sh_quote(data) + " " + sh_quote(bench.archives + "/srv01/disk2.tib") + " --progress none").exit_code == 0);
    // The server's archives in a bucket of a real S3 store, which the helper reaches through
    // QEMU's user network as 10.0.2.2 (the store's agent_endpoint), the controller as 127.0.0.1.
    RgwSandbox store;
    const std::string port = store.endpoint().substr(store.endpoint().rfind(':') + 1);
    bench.move_to_bucket(store, "http://10.0.2.2:" + port);
    const HelperSite site(bench, live_iso(), 600);

    // virtio-blk: Windows has no in-box driver for it; the vendor's package goes on the settings CD.
    const std::string drivers = viostor_driver_folder(bench.dir);
    const RunResult recovered =
        bench.ctl("recover-vm srv01 --hypervisor " + site.name + " --name " + bench.vm + " --memory 512 --bus virtio --drivers " + sh_quote(drivers));
    INFO(recovered.out << recovered.err << bench.controller->log());
    REQUIRE(recovered.exit_code == 0);
    CHECK_THAT(recovered.out, Catch::Contains("disk " + bench.vm + "-disk2.img: 48 MiB, serial DAGDA-"));
    CHECK_THAT(recovered.out, Catch::Contains("inoculate Windows (where a volume holds it) for: virtio-blk"));
    // One helper job for both disks.
    CHECK(bench.controller->api("GET", "/api/jobs")["body"]["jobs"].size() == 1);
    const nlohmann::json plan = bench.controller->api("GET", "/api/jobs/job-1")["body"]["plan"];
    INFO(plan.dump(2));
    CHECK(plan["disks"]["disk1"]["serial"].get<std::string>().rfind("DAGDA-", 0) == 0);
    CHECK(plan["disks"]["disk2"]["serial"].get<std::string>().rfind("DAGDA-", 0) == 0);
    CHECK(plan["disks"]["disk1"]["serial"] != plan["disks"]["disk2"]["serial"]);
    // Named for the recovery, without the grant's key: a resumed recovery finds its own job by it.
    CHECK_THAT(plan["name"].get<std::string>(), Catch::StartsWith("recovery-1: recover srv01 generation 1 to the new VM " + bench.vm + ": disk1 onto ") &&
                                                    !Catch::Contains("/files/"));
    // The helper read the store itself, as it reaches it, through URLs for exactly those objects.
    REQUIRE(plan["archive_urls"].size() == 2);
    for (const auto& url : plan["archive_urls"])
        CHECK_THAT(url.get<std::string>(), Catch::StartsWith("http://10.0.2.2:" + port + "/dagda-site/archives/srv01/disk") &&
                                               Catch::Contains("X-Amz-Signature="));
    CHECK_THAT(plan.dump(), !Catch::Contains("/files/") && !Catch::Contains("127.0.0.1"));

    const std::string xml = virsh("dumpxml " + bench.vm);
    INFO(xml);
    CHECK_THAT(xml, Catch::Contains(bench.vm + "-disk1.img") && Catch::Contains(bench.vm + "-disk2.img") && Catch::Contains("bus='virtio'"));
    const std::string disk1 = bench.pool.folder() + "/" + bench.vm + "-disk1.img", disk2 = bench.pool.folder() + "/" + bench.vm + "-disk2.img";
    // Each disk where its serial said: the Windows disk first, the data disk second.
    CHECK(layout_of(disk1) == layout_of(bench.source));
    const std::string windows = windows_partition(bench.dir, disk1);
    CHECK(hive_value(bench.dir, windows, "\\ControlSet001\\Services\\viostor", "Start") == "0\n");
    CHECK(hive_value(bench.dir, windows, "\\ControlSet001\\Control\\CriticalDeviceDatabase\\PCI#VEN_1AF4&DEV_1001", "Service") == "viostor\n");
    CHECK(run("ntfsls " + sh_quote(windows) + " -p /Windows/System32/drivers").out.find("viostor.sys") != std::string::npos);
    CHECK(run("sgdisk -p " + sh_quote(disk2) + " | tail -n 2").out == run("sgdisk -p " + sh_quote(data) + " | tail -n 2").out);
    CHECK(digest(partition_copy(bench.dir, disk2, 1, "data-restored")) == digest(partition_copy(bench.dir, data, 1, "data-source")));
}
