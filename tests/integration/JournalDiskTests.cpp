// A journal belongs to the disk it wrote (issue 13, item 12): the real dagda binary runs a whole
// recovery onto an image file, the image is replaced by a blank one of the same identity (same
// path, same size) or partly wiped, and the same plan runs again. It must not take the journal's
// word that the job is done: it says why, starts over, and leaves a recovered disk.

#include "common/ChildProcess.hpp"
#include "common/Run.hpp"
#include "common/TempDir.hpp"
#include "common/WindowsVolume.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>

using namespace dagda::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t target_size = 300ull << 20;

struct Recovery {
    std::string archive, target, plan, run_dir;
};

/// A Windows-like disk captured to TIB, a blank target, and the plan from-archive writes for it
/// (inoculation for virtio-blk, from the virtio-win template in ../shared).
Recovery prepare(const TempDir& dir) {
    Recovery r;
    const std::string source = make_windows_disk(dir, "source.img");
    REQUIRE_FALSE(source.empty());
    r.archive = dir.file("server.tib");
    REQUIRE(run(dagda_command() + " tib capture --disk " + sh_quote(source) + " " + sh_quote(r.archive) + " --progress none").exit_code == 0);
    r.target = make_image(dir, "target.img", target_size);
    r.plan = dir.file("plan.json");
    const RunResult planned = run(dagda_command() + " plan from-archive " + sh_quote(r.archive) + " --to " + sh_quote(r.target) +
                                  " --for virtio-blk --drivers " + sh_quote(viostor_driver_folder(dir)) + " -o " + sh_quote(r.plan));
    INFO(planned.err);
    REQUIRE(planned.exit_code == 0);
    r.run_dir = dir.file("run");
    return r;
}

/// `dagda run PLAN --yes` with the run folder (and so the default journal) under the test's
/// folder; `journal` empty for the default one.
RunResult dagda_run(const Recovery& r, const std::string& journal) {
    return run("DAGDA_RUN_DIR=" + sh_quote(r.run_dir) + " " + dagda_command() + " run " + sh_quote(r.plan) +
               (journal.empty() ? "" : " --journal " + sh_quote(journal)) + " --yes");
}

/// The same image file, zeroed: what a new disk of the same identity looks like.
void replace_by_blank(const std::string& target) {
    fs::resize_file(target, 0);
    fs::resize_file(target, target_size);
    REQUIRE(file_digest(target) == run("head -c " + std::to_string(target_size) + " /dev/zero | sha256sum").out.substr(0, 64));
}

/// The recovery is on the disk: the archive's table, and the Windows volume sound and inoculated.
void check_recovered(const TempDir& dir, const Recovery& r) {
    CHECK_THAT(run("sfdisk --dump " + sh_quote(r.target)).out, Catch::Contains("label-id: 0x43da9ab1") &&
                                                                    Catch::Contains("start=      133120, size=      401408, type=7"));
    const std::string windows = dir.file("windows.raw");
    REQUIRE(run("dd if=" + sh_quote(r.target) + " of=" + sh_quote(windows) + " bs=512 skip=133120 count=401408 status=none").exit_code == 0);
    CHECK(run("ntfsfix -n " + sh_quote(windows)).exit_code == 0);
    const std::string hive = dir.file("SYSTEM");
    REQUIRE(run("ntfscat " + sh_quote(windows) + " /Windows/System32/config/SYSTEM > " + sh_quote(hive)).exit_code == 0);
    CHECK(run("hivexget " + sh_quote(hive) + " '\\ControlSet001\\Services\\viostor' Start").out == "0\n");
}

#define REQUIRE_TOOLS(dir)                                                                               \
    if (!windows_tools_present(dir) || !have_program("ntfscat") || !have_program("sfdisk")) FAIL("missing: hivexregedit, mkntfs, ntfs-3g tools, sfdisk or ../shared/fixtures");

}  // namespace

TEST_CASE("run: the default journal of a finished job does not make a blank disk of the same identity a recovery",
          "[jobs][plan][journal][integration]") {
    TempDir dir;
    REQUIRE_TOOLS(dir);
    const Recovery r = prepare(dir);
    const RunResult first = dagda_run(r, "");
    INFO(first.out << first.err);
    REQUIRE(first.exit_code == 0);
    // The default journal went to the run folder given (never the real /run/dagda).
    std::size_t journals = 0;
    for (const auto& entry : fs::directory_iterator(r.run_dir)) journals += entry.path().extension() == ".dagda" ? 1 : 0;
    CHECK(journals == 1);
    check_recovered(dir, r);

    replace_by_blank(r.target);
    const RunResult again = dagda_run(r, "");
    INFO(again.out << again.err);
    CHECK(again.exit_code == 0);
    CHECK_THAT(again.out, !Catch::Contains("the journal says this job is complete"));
    // Why it starts over, in the operator's words: what step 1 left, and what the disk holds.
    CHECK_THAT(again.out, Catch::Contains("step 1 (disk.apply_layout) left a dos table 0x43da9ab1 with 2 partitions, but the disk now holds "
                                          "no partition table; starting the job over"));
    CHECK_THAT(again.out, !Catch::Contains("already done"));
    CHECK_THAT(again.out, Catch::Contains("Recovery finished"));
    check_recovered(dir, r);

    // On the disk it wrote, the finished job is finished: nothing is written.
    const std::string recovered = file_digest(r.target);
    const RunResult third = dagda_run(r, "");
    INFO(third.out << third.err);
    CHECK(third.exit_code == 0);
    CHECK_THAT(third.out, Catch::Contains("the journal says this job is complete: nothing to do"));
    CHECK(file_digest(r.target) == recovered);
}

TEST_CASE("run: a resume checks what every step it skips left: a wiped volume, and a blank disk after a kill mid-job",
          "[jobs][plan][journal][integration]") {
    TempDir dir;
    REQUIRE_TOOLS(dir);
    const Recovery r = prepare(dir);
    const std::string journal = dir.file("job.journal");
    REQUIRE(dagda_run(r, journal).exit_code == 0);

    // The table stays, the Windows volume is wiped (its first MiB): image.restore's work is gone.
    REQUIRE(run("dd if=/dev/zero of=" + sh_quote(r.target) + " bs=512 seek=133120 count=2048 conv=notrunc status=none").exit_code == 0);
    const RunResult wiped = dagda_run(r, journal);
    INFO(wiped.out << wiped.err);
    CHECK(wiped.exit_code == 0);
    CHECK_THAT(wiped.out, Catch::Contains("step 2 (image.restore) left NTFS volume ") &&
                              Catch::Contains("on partition 2, but the disk now holds ") &&
                              Catch::Contains("a blank partition 2; starting the job over"));
    CHECK_THAT(wiped.out, Catch::Contains("Recovery finished"));
    check_recovered(dir, r);

    // A job killed in windows.inoculate (a reboot mid-job), its disk then replaced by a blank
    // one: resuming would skip the table and the restore and inoculate a blank disk.
    const std::string killed = dir.file("killed.journal");
    {
        replace_by_blank(r.target);
        ChildProcess child({dagda_binary_path(), "run", r.plan, "--journal", killed, "--yes", "--progress", "json"},
                           {"DAGDA_RUN_DIR=" + r.run_dir}, dir.file("killed.err"));
        bool inoculating = false;
        while (const auto line = child.read_line(std::chrono::seconds(120)))
            if (line->find("\"step_started\",\"name\":\"windows.inoculate\"") != std::string::npos) {
                inoculating = true;
                break;
            }
        REQUIRE(inoculating);
        child.signal(SIGSTOP);
        child.signal(SIGKILL);
        CHECK(child.wait() == 128 + SIGKILL);
    }
    replace_by_blank(r.target);
    const RunResult resumed = dagda_run(r, killed);
    INFO(resumed.out << resumed.err);
    CHECK(resumed.exit_code == 0);
    CHECK_THAT(resumed.out, Catch::Contains("step 1 (disk.apply_layout) left a dos table 0x43da9ab1") &&
                                Catch::Contains("starting the job over"));
    CHECK_THAT(resumed.out, !Catch::Contains("already done"));
    CHECK_THAT(resumed.out, Catch::Contains("Recovery finished"));
    check_recovered(dir, r);
}
