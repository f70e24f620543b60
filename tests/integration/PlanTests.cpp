// Whole recoveries through plans (dagda plan from-archive, dagda run) on image files with the real
// libraries, checked with sfdisk, ntfs-3g's tools and hivexget; invalid plans, a disk that is not
// the one named, a busy machine, a cancelled job, and a torn journal.

#include "common/Run.hpp"
#include "common/TempDir.hpp"
#include "common/WindowsVolume.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace dagda::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct Recovery {
    std::string archive, target, plan, journal, run_dir;
};

/// A Windows-like disk captured to TIB, a blank larger target, and the plan from-archive writes
/// for it (inoculation for virtio-blk, from the virtio-win template in ../shared).
Recovery prepare(const TempDir& dir) {
    Recovery r;
    const std::string source = make_windows_disk(dir, "source.img");
    REQUIRE_FALSE(source.empty());
    r.archive = dir.file("server.tib");
    REQUIRE(run(dagda_command() + " tib capture --disk " + sh_quote(source) + " " + sh_quote(r.archive) + " --progress none").exit_code == 0);
    r.target = make_image(dir, "target.img", 300ull << 20);
    const std::string drivers = viostor_driver_folder(dir);
    r.plan = dir.file("plan.json");
    const RunResult planned = run(dagda_command() + " plan from-archive " + sh_quote(r.archive) + " --to " + sh_quote(r.target) +
                                  " --for virtio-blk --drivers " + sh_quote(drivers) + " -o " + sh_quote(r.plan));
    INFO(planned.err);
    REQUIRE(planned.exit_code == 0);
    r.journal = dir.file("job.journal");
    r.run_dir = dir.file("run");
    return r;
}

RunResult dagda_run(const Recovery& r, const std::string& extra) {
    return run("DAGDA_RUN_DIR=" + sh_quote(r.run_dir) + " " + dagda_command() + " run " + sh_quote(r.plan) + " --journal " +
               sh_quote(r.journal) + " " + extra);
}

std::string hivexget(const std::string& hive, const std::string& key, const std::string& value) {
    const auto result = run("hivexget " + sh_quote(hive) + " " + sh_quote(key) + " " + sh_quote(value));
    REQUIRE(result.exit_code == 0);
    return result.out;
}

#define REQUIRE_TOOLS(dir)                                                                               \
    if (!windows_tools_present(dir) || !have_program("ntfscat") || !have_program("sfdisk")) FAIL("missing: hivexregedit, mkntfs, ntfs-3g tools, sfdisk or ../shared/fixtures");

}  // namespace

TEST_CASE("run: a whole recovery through the plan from-archive writes", "[jobs][plan][integration]") {
    TempDir dir;
    REQUIRE_TOOLS(dir);
    const Recovery r = prepare(dir);
    const json plan = json::parse(file_bytes(r.plan));
    REQUIRE(plan["steps"].size() == 4);
    CHECK(plan["disks"]["target"]["path"] == fs::absolute(r.target).string());

    // A used disk with an old, smaller table: the plan is checked against the table it writes.
    REQUIRE(run("printf 'label: dos\\nstart=2048, size=4096, type=83\\n' | sfdisk -q " + sh_quote(r.target)).exit_code == 0);
    const RunResult dry = dagda_run(r, "--dry-run");
    INFO(dry.out << dry.err);
    CHECK(dry.exit_code == 0);
    CHECK_THAT(dry.out, Catch::Contains("Create partition 2") && Catch::Contains("Restore volume 2 (ntfs, 96 MiB)"));
    CHECK(run("sfdisk --dump " + sh_quote(r.target)).out.find("size=        4096, type=83") != std::string::npos);  // untouched

    const RunResult done = dagda_run(r, "--yes --progress json");
    INFO(done.out << done.err);
    REQUIRE(done.exit_code == 0);
    CHECK_THAT(done.out, Catch::Contains("\"event\":\"job_finished\""));
    // The table: the archive's signature, partition 2 grown by the 100 MiB the disk has more.
    const std::string dump = run("sfdisk --dump " + sh_quote(r.target)).out;
    CHECK_THAT(dump, Catch::Contains("label-id: 0x43da9ab1"));
    CHECK_THAT(dump, Catch::Contains("start=        2048, size=      131072, type=7, bootable"));
    CHECK_THAT(dump, Catch::Contains("start=      133120, size=      401408, type=7"));
    CHECK_THAT(done.out, Catch::Contains("grew NTFS on partition 2"));
    // The volumes, grown to fill their partitions, inoculated and fixed up.
    const std::string windows = dir.file("windows.raw");
    REQUIRE(run("dd if=" + sh_quote(r.target) + " of=" + sh_quote(windows) + " bs=512 skip=133120 count=401408 status=none").exit_code == 0);
    const RunResult checked = run("ntfsfix -n " + sh_quote(windows));
    INFO(checked.out << checked.err);
    CHECK(checked.exit_code == 0);
    const std::string hive = dir.file("SYSTEM");
    REQUIRE(run("ntfscat " + sh_quote(windows) + " /Windows/System32/config/SYSTEM > " + sh_quote(hive)).exit_code == 0);
    CHECK(hivexget(hive, "\\ControlSet001\\Services\\viostor", "Start") == "0\n");
    CHECK(hivexget(hive, "\\ControlSet001\\Control\\CriticalDeviceDatabase\\PCI#VEN_1AF4&DEV_1001", "Service") == "viostor\n");
    CHECK(file_range(r.target, 133120 * 512 + 0x1C, 4) == std::string("\x00\x08\x02\x00", 4));  // hidden sectors 133120

    // Run again with the same journal: the job is complete, nothing is written.
    const std::string after = file_digest(r.target);
    const RunResult again = dagda_run(r, "--yes");
    CHECK(again.exit_code == 0);
    CHECK_THAT(again.out, Catch::Contains("the journal says this job is complete"));
    CHECK(file_digest(r.target) == after);
}

TEST_CASE("run: an invalid plan is refused with every problem listed, and nothing is written", "[jobs][plan][integration]") {
    TempDir dir;
    const std::string target = make_image(dir, "target.img", 64ull << 20);
    const std::string before = file_digest(target);
    const std::string plan = dir.file("bad.json");
    std::ofstream(plan) << json{{"dagda_plan", 1},
                                {"disks", {{"target", {{"path", target}, {"size", 1000}}}, {"other", {{"serial", "NO-SUCH-SERIAL-42"}}}}},
                                {"steps",
                                 {{{"step", "disk.format_everything"}},
                                  {{"step", "image.restore"}, {"disk", "target"}, {"archive", dir.file("missing.tib")}},
                                  {{"step", "windows.set_identity"}, {"disk", "target"}, {"computer_name", "not a valid name"}, {"colour", "red"}},
                                  {{"step", "image.restore"}, {"disk", "target"}, {"archive", dir.file("missing.tib")},
                                   {"volumes", {{{"volume", 1}, {"partition", 1}}, {{"volume", 1}, {"partition", 2}}}}}}}}
                                   .dump();
    const RunResult result = run("DAGDA_RUN_DIR=" + sh_quote(dir.file("run")) + " " + dagda_command() + " run " + sh_quote(plan) + " --yes");
    INFO(result.err);
    CHECK(result.exit_code == 3);
    CHECK_THAT(result.err, Catch::Contains("does not match") && Catch::Contains("size 1000"));          // the wrong size
    CHECK_THAT(result.err, Catch::Contains("no disk of this machine has serial NO-SUCH-SERIAL-42"));  // an absent disk
    CHECK_THAT(result.err, Catch::Contains("step 1 (disk.format_everything): unknown step"));
    CHECK_THAT(result.err, Catch::Contains("step 2 (image.restore)"));
    CHECK_THAT(result.err, Catch::Contains("unknown argument \"colour\""));
    CHECK_THAT(result.err, Catch::Contains("step 4 (image.restore)"));
    CHECK(file_digest(target) == before);
}

TEST_CASE("run: one job at a time, a cancelled job resumes, a torn journal tail is not trusted", "[jobs][plan][integration]") {
    TempDir dir;
    REQUIRE_TOOLS(dir);
    const Recovery r = prepare(dir);
    {
        fs::create_directories(r.run_dir);
        const int held = ::open((r.run_dir + "/job.lock").c_str(), O_RDWR | O_CREAT, 0644);
        REQUIRE(::flock(held, LOCK_EX) == 0);
        const RunResult busy = dagda_run(r, "--yes");
        CHECK(busy.exit_code == 3);
        CHECK_THAT(busy.err, Catch::Contains("busy"));
        ::close(held);
    }
    // Cancelled before it starts (SIGTERM from a wrapper shell right after the plan is printed):
    // the journal records the cancelled step, and the next run completes the job.
    const RunResult cancelled = run("DAGDA_RUN_DIR=" + sh_quote(r.run_dir) + " sh -c '" + dagda_command() + " run " + sh_quote(r.plan) +
                                    " --journal " + sh_quote(r.journal) + " --yes --progress json & pid=$!; sleep 0.3; kill -TERM $pid; wait $pid'");
    INFO(cancelled.out << cancelled.err);
    CHECK((cancelled.exit_code == 4 || cancelled.exit_code == 0));  // it may have finished first on a fast machine
    // A torn tail: half a record appended as a crash would leave it.
    {
        std::ofstream out(r.journal, std::ios::binary | std::ios::app);
        out << std::string("\x40\x00\x00\x00\xde\xad\xbe\xef{\"type\":\"job_fin", 23);
    }
    const RunResult resumed = dagda_run(r, "--yes");
    INFO(resumed.out << resumed.err);
    CHECK(resumed.exit_code == 0);
    CHECK_THAT(resumed.out, Catch::Contains("Recovery finished"));
    CHECK(run("sfdisk --dump " + sh_quote(r.target)).out.find("label-id: 0x43da9ab1") != std::string::npos);
}

TEST_CASE("run: files of a later generation, a new identity and a reboot that happens once", "[jobs][plan][integration]") {
    TempDir dir;
    REQUIRE_TOOLS(dir);
    // Monday's backup, then Tuesday's incremental one after Ann saved a document.
    const std::string source = make_windows_disk(dir, "source.img");
    const std::string monday = dir.file("monday.tib"), tuesday = dir.file("tuesday.tib");
    REQUIRE(run(dagda_command() + " tib capture --disk " + sh_quote(source) + " " + sh_quote(monday) + " --progress none").exit_code == 0);
    const std::string windows = dir.file("source-windows.raw");
    REQUIRE(run("dd if=" + sh_quote(source) + " of=" + sh_quote(windows) + " bs=512 skip=133120 count=196608 status=none").exit_code == 0);
    REQUIRE(run("mkdir -p " + sh_quote(dir.file("m"))).exit_code == 0);
    {
        // Written with ntfs-3g's own ntfscp into a folder the volume already has.
        std::ofstream(dir.file("report.txt")) << "Tuesday's quarterly report\n";
        REQUIRE(run("ntfscp -f " + sh_quote(windows) + " " + sh_quote(dir.file("report.txt")) + " /Windows/report.txt >/dev/null 2>&1").exit_code == 0);
    }
    REQUIRE(run("dd if=" + sh_quote(windows) + " of=" + sh_quote(source) + " bs=512 seek=133120 conv=notrunc status=none").exit_code == 0);
    REQUIRE(run(dagda_command() + " tib capture --disk " + sh_quote(source) + " " + sh_quote(tuesday) + " --base " + sh_quote(monday) +
                " --progress none").exit_code == 0);

    // plan from-archive picks a generation of the chain by its number (1 = the full backup).
    const std::string picked = dir.file("picked.json");
    REQUIRE(run(dagda_command() + " plan from-archive " + sh_quote(tuesday) + " --generation 1 --to " + sh_quote(source) + " --for ahci -o " +
                sh_quote(picked)).exit_code == 0);
    CHECK(json::parse(file_bytes(picked))["steps"][1]["archive"] == fs::absolute(monday).string());
    CHECK(run(dagda_command() + " plan from-archive " + sh_quote(tuesday) + " --generation 3 --to " + sh_quote(source)).exit_code == 2);
    CHECK_THAT(run(dagda_command() + " run --list-steps").out, Catch::Contains("windows.restore_files: ") && Catch::Contains("paths ([paths], required)"));

    const std::string target = make_image(dir, "target.img", 300ull << 20);
    const std::string marker = dir.file("reboots");
    const std::string reboot = dir.file("reboot.sh");
    // A reboot that takes the agent down with it, as a real one does before the step is recorded
    // done, and comes back as another boot.
    const std::string boot_id = dir.file("boot_id");
    std::ofstream(boot_id) << "first-boot\n";
    std::ofstream(reboot) << "#!/bin/sh\necho rebooted >> " << marker << "\necho second-boot > " << boot_id << "\nkill -9 $PPID\n";
    fs::permissions(reboot, fs::perms::owner_all);
    const json plan{{"dagda_plan", 1},
                    {"disks", {{"t", {{"path", target}}}}},
                    {"steps",
                     {{{"step", "disk.apply_layout"}, {"disk", "t"}, {"layout", {{"archive", monday}}}},
                      {{"step", "image.restore"}, {"disk", "t"}, {"archive", monday}},
                      {{"step", "windows.restore_files"}, {"disk", "t"}, {"archive", tuesday}, {"volume", 2}, {"paths", {"/Windows/report.txt"}}},
                      {{"step", "windows.set_identity"}, {"disk", "t"}, {"computer_name", "SRV01-TEST"}},
                      {{"step", "machine.reboot"}}}}};
    std::ofstream(dir.file("plan.json")) << plan.dump(2);
    const std::string command = "DAGDA_BOOT_ID_FILE=" + sh_quote(boot_id) + " DAGDA_REBOOT_COMMAND=" + sh_quote(reboot) + " DAGDA_RUN_DIR=" + sh_quote(dir.file("run")) + " " + dagda_command() +
                                " run " + sh_quote(dir.file("plan.json")) + " --journal " + sh_quote(dir.file("j")) + " --yes";
    const RunResult first = run(command);
    INFO(first.out << first.err);
    REQUIRE(first.exit_code == 128 + 9);  // gone with the "reboot"
    CHECK(file_bytes(marker) == "rebooted\n");
    // After the "reboot" the job resumes: the journal says the reboot was asked for, so it is
    // not asked again, and the job ends.
    const RunResult resumed = run(command);
    INFO(resumed.out << resumed.err);
    CHECK(resumed.exit_code == 0);
    CHECK_THAT(resumed.out, Catch::Contains("Recovery finished"));
    CHECK(file_bytes(marker) == "rebooted\n");

    const std::string restored = dir.file("restored-windows.raw");
    REQUIRE(run("dd if=" + sh_quote(target) + " of=" + sh_quote(restored) + " bs=512 skip=133120 count=401408 status=none").exit_code == 0);
    CHECK(run("ntfscat " + sh_quote(restored) + " /Windows/report.txt").out == "Tuesday's quarterly report\n");
    CHECK(run("ntfsfix -n " + sh_quote(restored)).exit_code == 0);
    const std::string hive = dir.file("SYSTEM");
    REQUIRE(run("ntfscat " + sh_quote(restored) + " /Windows/System32/config/SYSTEM > " + sh_quote(hive)).exit_code == 0);
    CHECK(hivexget(hive, "\\ControlSet001\\Control\\ComputerName\\ComputerName", "ComputerName") == "SRV01-TEST\n");

    // NTFS's own files describe the volume they are on: a list naming one ($MFT of Tuesday's
    // volume over the restored one's) copies nothing, not even the good path before it; and
    // without a progress report the reason still reaches stderr.
    const std::string before = file_digest(target);
    const json metadata{{"dagda_plan", 1},
                        {"disks", {{"t", {{"path", target}}}}},
                        {"steps", {{{"step", "windows.restore_files"}, {"disk", "t"}, {"archive", tuesday}, {"volume", 2}, {"paths", {"/Windows/report.txt", "/$MFT"}}}}}};
    std::ofstream(dir.file("metadata.json")) << metadata.dump(2);
    const RunResult refused = run("DAGDA_RUN_DIR=" + sh_quote(dir.file("run")) + " " + dagda_command() + " run " + sh_quote(dir.file("metadata.json")) +
                                  " --journal " + sh_quote(dir.file("j2")) + " --yes --progress none");
    CHECK(refused.exit_code == 3);
    CHECK(refused.out.empty());
    CHECK_THAT(refused.err, Catch::Contains("dagda run: stopped at step 1 (windows.restore_files)") && Catch::Contains("/$MFT is NTFS's own metadata"));
    CHECK(file_digest(target) == before);
}

TEST_CASE("run: the plan path writes the same bytes as tib restore --disk: table, first track, grown NTFS",
          "[jobs][plan][root][loop][integration]") {
    if (::geteuid() != 0 || !fs::exists("/dev/loop-control")) {
        WARN("skipped: growing NTFS needs root and loop devices");
        return;
    }
    TempDir dir;
    const std::string disk = shared_fixture(dir, "disks/mbr-two-ntfs.raw.xz");
    REQUIRE_FALSE(disk.empty());
    const std::string archive = dir.file("d.tib");
    REQUIRE(run(dagda_command() + " tib capture --disk " + sh_quote(disk) + " " + sh_quote(archive) + " --progress none").exit_code == 0);
    const auto restore_both_ways = [&](const std::string& name, std::uint64_t size) {
        const std::string by_tib = make_image(dir, name + "-tib.raw", size);
        const RunResult restored = run(dagda_command() + " tib restore " + sh_quote(archive) + " " + sh_quote(by_tib) +
                                       " --disk --yes --progress none");
        INFO(restored.out << restored.err);
        REQUIRE(restored.exit_code == 0);
        const std::string by_plan = make_image(dir, name + "-plan.raw", size);
        const json plan{{"dagda_plan", 1},
                        {"disks", {{"t", {{"path", by_plan}}}}},
                        {"steps",
                         {{{"step", "disk.apply_layout"}, {"disk", "t"}, {"layout", {{"archive", archive}}}},
                          {{"step", "image.restore"}, {"disk", "t"}, {"archive", archive}}}}};
        std::ofstream(dir.file(name + ".json")) << plan.dump(2);
        const std::string command = "DAGDA_RUN_DIR=" + sh_quote(dir.file("run")) + " " + dagda_command() + " run " +
                                    sh_quote(dir.file(name + ".json")) + " --journal " + sh_quote(dir.file(name + ".journal"));
        const RunResult dry = run(command + " --dry-run");
        INFO(dry.out << dry.err);
        REQUIRE(dry.exit_code == 0);
        const RunResult ran = run(command + " --yes");
        INFO(ran.out << ran.err);
        REQUIRE(ran.exit_code == 0);
        CHECK(run("cmp " + sh_quote(by_tib) + " " + sh_quote(by_plan)).exit_code == 0);
        return std::pair{by_plan, dry.out};
    };
    // A larger disk: partition 2 and its NTFS grow by 32 MiB, and the plan says so.
    const auto [larger, larger_plan] = restore_both_ways("larger", fs::file_size(disk) + (32ull << 20));
    CHECK_THAT(larger_plan, Catch::Contains("sector 0 bytes 444-445 and sectors 1-127 (the boot-loader gap"));
    CHECK_THAT(larger_plan, Catch::Contains("Grow NTFS on partition 2 from 30 MiB to 62 MiB"));
    CHECK(file_range(larger, 512, 127 * 512) == file_range(disk, 512, 127 * 512));
    // A disk of the source's size: the source's layout and sector 0, byte for byte.
    const auto [same, same_plan] = restore_both_ways("same", fs::file_size(disk));
    CHECK_THAT(same_plan, !Catch::Contains("Grow NTFS"));
    CHECK(file_range(same, 0, 128 * 512) == file_range(disk, 0, 128 * 512));
    CHECK(run("sfdisk --dump " + sh_quote(same) + " | grep -o 'start=.*'").out == run("sfdisk --dump " + sh_quote(disk) + " | grep -o 'start=.*'").out);
}

TEST_CASE("run: a dry run prints the disk GUID and partition GUIDs the run then writes", "[jobs][plan][integration]") {
    if (!have_program("sfdisk")) FAIL("sfdisk is missing");
    TempDir dir;
    const std::string target = make_image(dir, "target.raw", 64ull << 20);
    // A gpt layout naming no GUIDs: the step draws them.
    const json layout{{"partitiontable",
                       {{"label", "gpt"},
                        {"unit", "sectors"},
                        {"partitions",
                         {{{"node", "x1"}, {"start", 2048}, {"size", 20480}, {"type", "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"}},
                          {{"node", "x2"}, {"start", 22528}, {"size", 40960}, {"type", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"}}}}}}};
    const json plan{{"dagda_plan", 1},
                    {"disks", {{"t", {{"path", target}}}}},
                    {"steps", {{{"step", "disk.apply_layout"}, {"disk", "t"}, {"layout", layout}}}}};
    std::ofstream(dir.file("plan.json")) << plan.dump(2);
    const std::string command = "DAGDA_RUN_DIR=" + sh_quote(dir.file("run")) + " " + dagda_command() + " run " +
                                sh_quote(dir.file("plan.json")) + " --journal " + sh_quote(dir.file("j"));
    const RunResult dry = run(command + " --dry-run");
    INFO(dry.out << dry.err);
    REQUIRE(dry.exit_code == 0);
    const RunResult ran = run(command + " --yes");
    INFO(ran.out << ran.err);
    REQUIRE(ran.exit_code == 0);
    const json written = json::parse(run("sfdisk --json " + sh_quote(target)).out)["partitiontable"];
    CHECK_THAT(dry.out, Catch::Contains("disk GUID " + written["id"].get<std::string>()));
    for (const auto& part : written["partitions"]) CHECK_THAT(dry.out, Catch::Contains("GUID " + part["uuid"].get<std::string>()));
    // The run printed the same plan before it wrote.
    CHECK_THAT(ran.out, Catch::Contains("disk GUID " + written["id"].get<std::string>()));
}
