// Issue 14: a server's backup recovered to a new VM through the controller, in direct mode (the
// controller writes the dir pool's volumes itself): a real controller, a real libvirtd with
// QEMU under TCG, the shared Windows disk captured with dagda. The new VM is read back with
// virsh, its disk with sfdisk, ntfs-3g's tools and hivexget.

#include "common/Run.hpp"
#include "common/WindowsVolume.hpp"
#include "integration/controller/ControllerFixture.hpp"
#include "integration/hypervisor/RecoveryBench.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>

using namespace dagda::testing;
namespace fs = std::filesystem;

TEST_CASE("recover-vm: a server's backup becomes a new VM, left off, in direct mode", "[hypervisor][integration][libvirt][root][vm-recovery]") {
    LibvirtDaemons daemons;
    NEEDS_LIBVIRT(daemons);
    RecoveryBench bench;
    bench.start_controller();
    const std::string& vm = bench.vm;

    // The plan first: nothing is made.
    const RunResult dry = bench.ctl("recover-vm srv01 --hypervisor local --name " + vm + " --direct --dry-run");
    INFO(dry.out << dry.err);
    REQUIRE(dry.exit_code == 0);
    CHECK_THAT(dry.out, Catch::Contains("recover srv01 generation 1 to a new VM " + vm + " on local (direct mode)"));
    CHECK_THAT(dry.out, Catch::Contains("bios, sata disks, e1000e on user; left off"));
    CHECK_THAT(dry.out, Catch::Contains("inoculate Windows (where a volume holds it) for: ahci"));
    CHECK_THAT(dry.out, Catch::Contains("3. direct.restore disk 1") && Catch::Contains("4. vm.define"));
    CHECK(fs::is_empty(bench.pool.folder()));

    const RunResult recovered = bench.ctl("recover-vm srv01 --hypervisor local --name " + vm + " --direct --memory 1024");
    INFO(recovered.out << recovered.err << bench.controller->log());
    REQUIRE(recovered.exit_code == 0);
    CHECK_THAT(recovered.out, Catch::Contains("1. hypervisor.check done in"));
    CHECK_THAT(recovered.out, Catch::Contains("3. direct.restore done in"));
    CHECK_THAT(recovered.out, Catch::Contains("is defined and left off; recovery time achieved: "));

    // The new VM as libvirt has it: its disk with the serial the controller chose, SATA, BIOS
    // (the source's table is dos), the NIC asked for; shut off.
    const std::string xml = virsh("dumpxml " + vm);
    INFO(xml);
    CHECK_THAT(xml, Catch::Contains("<memory unit='KiB'>1048576</memory>"));
    CHECK_THAT(xml, Catch::Contains("bus='sata'") && Catch::Contains("<serial>DAGDA-"));
    CHECK_THAT(xml, !Catch::Contains("firmware='efi'"));
    CHECK_THAT(xml, Catch::Contains("<model type='e1000e'/>"));
    CHECK_THAT(virsh("domstate " + vm), Catch::StartsWith("shut off"));

    // Its disk: the source's layout, NTFS that checks clean, Windows booting the in-box AHCI driver.
    const std::string volume = bench.pool.folder() + "/" + vm + "-disk1.img";
    REQUIRE(fs::exists(volume));
    CHECK(fs::file_size(volume) == fs::file_size(bench.source));
    CHECK(layout_of(volume) == layout_of(bench.source));
    const std::string windows = windows_partition(bench.dir, volume);
    CHECK(run("ntfsfix --no-action " + sh_quote(windows)).exit_code == 0);
    CHECK(hive_value(bench.dir, windows, "\\ControlSet001\\Services\\msahci", "Start") == "0\n");

    // The same name again: refused at the check, before anything is made; the first VM untouched.
    const RunResult again = bench.ctl("recover-vm srv01 --hypervisor local --name " + vm + " --direct");
    CHECK(again.exit_code == 1);
    CHECK_THAT(again.out, Catch::Contains("hypervisor.check FAILED") && Catch::Contains("exists"));
    CHECK(std::distance(fs::directory_iterator(bench.pool.folder()), fs::directory_iterator{}) == 1);
    CHECK_THAT(virsh("domstate " + vm), Catch::StartsWith("shut off"));
    const nlohmann::json listed = bench.controller->api("GET", "/api/recoveries")["body"]["recoveries"];
    REQUIRE(listed.size() == 2);
    INFO(listed.dump());
    CHECK(listed[0]["state"] == "failed");
    CHECK(listed[0]["made"]["volumes"].empty());
    CHECK(listed[1]["state"] == "succeeded");
}

TEST_CASE("recover-vm: a renamed, isolated test copy is started beside the original, an unrenamed one never is",
          "[hypervisor][integration][libvirt][root][vm-recovery]") {
    LibvirtDaemons daemons;
    NEEDS_LIBVIRT(daemons);
    RecoveryBench bench;
    bench.start_controller();
    const RunResult refused = bench.ctl("recover-vm srv01 --hypervisor local --name " + bench.vm + " --direct --start");
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Catch::Contains("started only as an isolated, renamed test copy"));
    const RunResult copy = bench.ctl("recover-vm srv01 --hypervisor local --name " + bench.vm + " --direct --rename SRV01-TEST --isolated --start --memory 512");
    INFO(copy.out << copy.err);
    REQUIRE(copy.exit_code == 0);
    CHECK_THAT(copy.out, Catch::Contains("no network (isolated); started") && Catch::Contains("rename Windows SRV01-TEST"));
    CHECK_THAT(copy.out, Catch::Contains("5. vm.start done in") && Catch::Contains("is defined and started"));
    CHECK_THAT(virsh("domstate " + bench.vm), Catch::StartsWith("running"));
    CHECK_THAT(virsh("dumpxml " + bench.vm), !Catch::Contains("<interface"));
    virsh("destroy " + bench.vm);  // its disk is read while it is off
    const std::string windows = windows_partition(bench.dir, bench.pool.folder() + "/" + bench.vm + "-disk1.img");
    CHECK(hive_value(bench.dir, windows, "\\ControlSet001\\Control\\ComputerName\\ComputerName", "ComputerName") == "SRV01-TEST\n");
}

TEST_CASE("recover-vm: a recovery that fails names its step, and its cleanup removes what it made and nothing else",
          "[hypervisor][integration][libvirt][root][vm-recovery]") {
    LibvirtDaemons daemons;
    NEEDS_LIBVIRT(daemons);
    RecoveryBench bench;
    bench.damage_archive();
    // Something in the pool that is not the recovery's: never touched.
    const std::string bystander = bench.pool.folder() + "/bystander.img";
    REQUIRE(run("truncate -s 1M " + sh_quote(bystander) + " && virsh -c qemu:///system pool-refresh " + bench.pool.name() + " > /dev/null").exit_code == 0);
    bench.start_controller();
    const std::string& vm = bench.vm;

    const RunResult failed = bench.ctl("recover-vm srv01 --hypervisor local --name " + vm + " --direct");
    INFO(failed.out << failed.err);
    CHECK(failed.exit_code == 1);
    CHECK_THAT(failed.out, Catch::Contains("3. direct.restore FAILED: the restore of "));
    CHECK_THAT(failed.err, Catch::Contains("recovery-1 failed: direct.restore failed:"));
    CHECK_THAT(virsh("list --all --name"), !Catch::Contains(vm));  // no VM defined after a failed step
    const std::string volume = bench.pool.folder() + "/" + vm + "-disk1.img";
    CHECK(fs::exists(volume));
    const nlohmann::json recovery = bench.controller->api("GET", "/api/recoveries/recovery-1")["body"];
    CHECK(recovery["made"]["volumes"][0]["name"] == vm + "-disk1.img");

    const RunResult cleaned = bench.ctl("recovery recovery-1 --cleanup");
    INFO(cleaned.out << cleaned.err);
    CHECK(cleaned.exit_code == 0);
    CHECK_THAT(cleaned.out, Catch::Contains("removed the volume " + vm + "-disk1.img"));
    CHECK_FALSE(fs::exists(volume));
    CHECK(fs::exists(bystander));
    CHECK(bench.controller->api("GET", "/api/recoveries/recovery-1")["body"]["state"] == "cleaned");
    CHECK(bench.controller->api("POST", "/api/recoveries/recovery-1/cleanup", nlohmann::json::object())["status"] == 409);
}

TEST_CASE("recover-vm: a hypervisor that cannot be reached and a pool without room end the recovery at its check, with nothing made",
          "[hypervisor][integration][libvirt][root][vm-recovery]") {
    LibvirtDaemons daemons;
    NEEDS_LIBVIRT(daemons);
    RecoveryBench bench;
    bench.start_controller();
    // No libvirtd listens on this port of the loopback.
    REQUIRE(bench.ctl("hypervisor add nowhere --uri qemu+tcp://127.0.0.1:9/system --pool dagda").exit_code == 0);
    const RunResult unreachable = bench.ctl("recover-vm srv01 --hypervisor nowhere --name " + bench.vm + " --direct");
    INFO(unreachable.out << unreachable.err);
    CHECK(unreachable.exit_code == 1);
    CHECK_THAT(unreachable.out, Catch::Contains("1. hypervisor.check FAILED: cannot connect to the hypervisor qemu+tcp://127.0.0.1:9/system"));
    // A disk far larger than the pool's filesystem: refused before any volume is made.
    const RunResult no_room = bench.ctl("recover-vm srv01 --hypervisor local --name " + bench.vm + " --direct --disk-bytes 1125899906842624");
    INFO(no_room.out << no_room.err);
    CHECK(no_room.exit_code == 1);
    CHECK_THAT(no_room.out, Catch::Contains("1. hypervisor.check FAILED: the storage pool \"" + bench.pool.name() + "\" has ") &&
                                Catch::Contains("nothing was created"));
    CHECK(fs::is_empty(bench.pool.folder()));
    CHECK_THAT(virsh("list --all --name"), !Catch::Contains(bench.vm));
}

TEST_CASE("recover-vm: a GPT server becomes a UEFI VM, its disk's GUIDs and partitions as the source's", "[hypervisor][integration][libvirt][root][vm-recovery]") {
    LibvirtDaemons daemons;
    NEEDS_LIBVIRT(daemons);
    RecoveryBench bench;
    // The server's one disk: GPT, an EFI system partition (FAT) and an ext4 volume.
    const std::string gpt = bench.dir.file("gpt.img");
    fs::remove(bench.archive);
    const std::string ext4 = bench.dir.file("ext4.img");  // made apart: mke2fs with an offset would cut the disk short
    REQUIRE(run("truncate -s 96M " + sh_quote(gpt) + " && sgdisk -n 1:2048:+32M -t 1:ef00 -n 2:0:+60M -t 2:8300 " + sh_quote(gpt) + " > /dev/null" +
                " && mformat -i " + sh_quote(gpt) + "@@1M -T 65536 -v EFI :: && truncate -s 60M " + sh_quote(ext4) + " && mke2fs -q -t ext4 " +
                sh_quote(ext4) + " && dd if=" + sh_quote(ext4) + " of=" + sh_quote(gpt) + " bs=1M seek=33 conv=notrunc status=none")
                .exit_code == 0);
    REQUIRE(run(dagda_command() + " tib capture --disk " + sh_quote(gpt) + " " + sh_quote(bench.archive) + " --progress none").exit_code == 0);
    bench.start_controller();

    const RunResult recovered = bench.ctl("recover-vm srv01 --hypervisor local --name " + bench.vm + " --direct --memory 512");
    INFO(recovered.out << recovered.err << bench.controller->log());
    REQUIRE(recovered.exit_code == 0);
    CHECK_THAT(recovered.out, Catch::Contains("VM: 2 CPUs, 512 MiB, uefi, sata disks"));
    const std::string xml = virsh("dumpxml " + bench.vm);
    INFO(xml);
    CHECK_THAT(xml, Catch::Contains("<os firmware='efi'>") && Catch::Contains("<feature enabled='no' name='secure-boot'/>"));
    CHECK_THAT(virsh("domstate " + bench.vm), Catch::StartsWith("shut off"));
    // The disk's and partitions' GUIDs, types and places: sgdisk reads them the same on both.
    const std::string volume = bench.pool.folder() + "/" + bench.vm + "-disk1.img";
    for (const std::string& reading : {std::string("-p"), std::string("-i 1"), std::string("-i 2")})
        CHECK(run("sgdisk " + reading + " " + sh_quote(volume) + " | grep -v '^Disk " + volume + "'").out ==
              run("sgdisk " + reading + " " + sh_quote(gpt) + " | grep -v '^Disk " + gpt + "'").out);
}

namespace {

/// The text on the VM's VGA text screen (0xB8000, a character and an attribute byte per cell),
/// read through QEMU's monitor: what the boot code printed there.
std::string screen_text(const std::string& vm) {
    const std::string dump = virsh("qemu-monitor-command " + vm + " --hmp 'xp /4000bx 0xb8000'");
    std::string text;
    std::size_t cell = 0;
    for (std::size_t at = dump.find("0x"); at != std::string::npos; at = dump.find("0x", at + 2)) {
        const std::size_t digits = dump.find_first_not_of("0123456789abcdefABCDEF", at + 2) - (at + 2);
        if (digits != 2) continue;  // a line's address, not a byte
        const int byte = std::stoi(dump.substr(at + 2, 2), nullptr, 16);
        if (cell++ % 2 == 0) text += byte >= 32 && byte < 127 ? static_cast<char>(byte) : ' ';
    }
    return text;
}

}  // namespace

TEST_CASE("recover-vm: the new VM boots its restored disk: the MBR code runs the active partition's NTFS boot sector",
          "[hypervisor][integration][libvirt][root][vm-recovery]") {
    LibvirtDaemons daemons;
    NEEDS_LIBVIRT(daemons);
    RecoveryBench bench;
    // The disk Windows 7 made (its MBR boot code, NTFS boot sectors with Windows' boot code), its
    // first partition marked active. It holds no BOOTMGR: the boot sector's code, having found its
    // volume, says "An operating system wasn't found"; the MBR's code has messages of its own
    // ("Invalid partition table", "Error loading operating system", "Missing operating system").
    const std::string source = shared_fixture(bench.dir, "disks/mbr-two-ntfs.raw.xz");
    REQUIRE(run("sfdisk -q --activate " + sh_quote(source) + " 1").exit_code == 0);
    fs::remove(bench.archive);
    REQUIRE(run(dagda_command() + " tib capture --disk " + sh_quote(source) + " " + sh_quote(bench.archive) + " --progress none").exit_code == 0);
    bench.start_controller();
    const RunResult recovered = bench.ctl("recover-vm srv01 --hypervisor local --name " + bench.vm + " --direct --memory 256");
    INFO(recovered.out << recovered.err);
    REQUIRE(recovered.exit_code == 0);

    // Started here by the test (the product leaves it off): SeaBIOS, the MBR's code, then the
    // partition's boot sector, which finds its volume by the hidden sectors the fix-up wrote.
    REQUIRE_THAT(virsh("start " + bench.vm), Catch::Contains("started"));
    std::string screen;
    const char* boot_sector_said = "An operating system wasn't found";
    eventually([&] { return (screen = screen_text(bench.vm)).find(boot_sector_said) != std::string::npos; }, 60);
    INFO(screen);
    CHECK_THAT(screen, Catch::Contains("Booting from Hard Disk") && Catch::Contains(boot_sector_said));
    CHECK_THAT(screen, !Catch::Contains("Invalid partition table") && !Catch::Contains("Missing operating") &&
                           !Catch::Contains("Error loading") && !Catch::Contains("A disk read error"));
}

TEST_CASE("recover-vm: files of a later generation are brought back onto the recovered VM's disk while it is off, never while it runs",
          "[hypervisor][integration][libvirt][root][vm-recovery][restore-files]") {
    LibvirtDaemons daemons;
    NEEDS_LIBVIRT(daemons);
    RecoveryBench bench;
    bench.start_controller();
    const RunResult recovered = bench.ctl("recover-vm srv01 --hypervisor local --name " + bench.vm + " --direct --memory 512");
    INFO(recovered.out << recovered.err);
    REQUIRE(recovered.exit_code == 0);
    // The server goes on after its backup: a report written, captured as generation 2.
    const auto [start, sectors] = partition_extent(bench.source, 2);
    add_random_file(bench.dir, bench.source, start, sectors, "report.bin", 700000);
    const std::string windows_before = windows_partition(bench.dir, bench.source);
    const std::string report = run("ntfscat " + sh_quote(windows_before) + " /report.bin").out;
    REQUIRE(report.size() == 700000);
    const std::string g2 = bench.archives + "/srv01/disk1-g2.tib";
    REQUIRE(run(dagda_command() + " tib capture --disk " + sh_quote(bench.source) + " " + sh_quote(g2) + " --base " + sh_quote(bench.archive) +
                " --progress none").exit_code == 0);
    const std::string disk = bench.pool.folder() + "/" + bench.vm + "-disk1.img";
    CHECK(run("ntfscat " + sh_quote(windows_partition(bench.dir, disk)) + " /report.bin").exit_code != 0);  // not on the VM yet

    const nlohmann::json request{{"generation", "disk1-g2.tib"}, {"volume", 2}, {"paths", {"/report.bin"}}};
    // Refused: a path that climbs, a generation of no chain of this disk, an unknown key.
    CHECK(bench.controller->api("POST", "/api/recoveries/recovery-1/restore-files", {{"generation", "disk1-g2.tib"}, {"paths", {"/../x"}}})["status"] == 400);
    CHECK(bench.controller->api("POST", "/api/recoveries/recovery-1/restore-files", {{"generation", "other.tib"}, {"paths", {"/report.bin"}}})["status"] == 404);
    CHECK(bench.controller->api("POST", "/api/recoveries/recovery-1/restore-files",
                                {{"generation", "disk1-g2.tib"}, {"paths", {"/report.bin"}}, {"force", true}})["status"] == 400);
    // NTFS's own files describe the volume they are on: a list naming one copies nothing, not even
    // the good path before it.
    const std::string disk_before = file_digest(disk);
    const nlohmann::json metadata = bench.controller->api("POST", "/api/recoveries/recovery-1/restore-files",
                                                          {{"generation", "disk1-g2.tib"}, {"volume", 2}, {"paths", {"/report.bin", "/$Bitmap"}}});
    CHECK(metadata["status"] == 422);
    CHECK_THAT(metadata["body"]["message"].get<std::string>(), Catch::Contains("/$Bitmap is NTFS's own metadata"));
    CHECK(file_digest(disk) == disk_before);
    // Never while the VM runs: Windows would own its disk.
    virsh("start " + bench.vm);
    const nlohmann::json running = bench.controller->api("POST", "/api/recoveries/recovery-1/restore-files", request);
    CHECK(running["status"] == 409);
    CHECK_THAT(running["body"]["message"].get<std::string>(), Catch::Contains("is running"));
    virsh("destroy " + bench.vm);
    const nlohmann::json restored = bench.controller->api("POST", "/api/recoveries/recovery-1/restore-files", request);
    INFO(restored.dump() << bench.controller->log());
    REQUIRE(restored["status"] == 200);
    CHECK(restored["body"]["restored"] == nlohmann::json::array({"/report.bin"}));
    const std::string windows_after = windows_partition(bench.dir, disk);
    CHECK(run("ntfscat " + sh_quote(windows_after) + " /report.bin").out == report);
    CHECK(run("ntfsfix --no-action " + sh_quote(windows_after)).exit_code == 0);
    CHECK_THAT(virsh("domstate " + bench.vm), Catch::StartsWith("shut off"));
    std::string audit;
    const nlohmann::json audited = bench.controller->api("GET", "/api/audit");
    for (const auto& e : audited["body"]["entries"]) audit += e["action"].get<std::string>() + " " + e["outcome"].get<std::string>() + "\n";
    CHECK_THAT(audit, Catch::Contains("POST /api/recoveries/recovery-1/restore-files") && Catch::Contains(" ok"));
}
