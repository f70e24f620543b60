// dagda run --undo-journal and dagda undo: a replica disk (one that already holds a generation)
// made bootable and inoculated in place, then put back byte for byte as it was, which is how a
// failed push button recovery leaves a replica as its freeze left it. Real ntfs-3g, hivex and
// the shared Windows disk; the digests are sha256sum's.

#include "common/Run.hpp"
#include "common/TempDir.hpp"
#include "common/WindowsVolume.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace dagda::testing;
namespace fs = std::filesystem;

namespace {

struct ReplicaDisk {
    TempDir dir;
    std::string source, archive = dir.file("disk1.tib"), replica = dir.file("replica.img");
    ReplicaDisk() {
        if (!windows_tools_present(dir)) FAIL("missing: the Windows test tools (scripts/setup)");
        source = make_windows_disk(dir, "source.img");
        REQUIRE(run(dagda_command() + " tib capture --disk " + sh_quote(source) + " " + sh_quote(archive) + " --progress none").exit_code == 0);
        REQUIRE(run("truncate -s " + std::to_string(fs::file_size(source)) + " " + sh_quote(replica)).exit_code == 0);
        REQUIRE(run(dagda_command() + " tib restore " + sh_quote(archive) + " " + sh_quote(replica) + " --disk --yes --progress none").exit_code == 0);
    }
    /// The plan run on the replica with an undo journal.
    RunResult run_with_undo(const std::string& undo) const {
        return run(dagda_command() + " run " + sh_quote(dir.file("plan.json")) + " --yes --progress none --journal " + sh_quote(dir.file("journal")) +
                   " --undo-journal " + sh_quote(undo));
    }
    RunResult plan(const std::string& extra = "") const {
        return run(dagda_command() + " plan from-archive " + sh_quote(archive) + " --to " + sh_quote(replica) + " --replica --for ahci" + extra +
                   " -o " + sh_quote(dir.file("plan.json")));
    }
};

}  // namespace

TEST_CASE("undo journal: a replica inoculated in place is put back byte for byte", "[windows][undo][integration]") {
    ReplicaDisk disk;
    const RunResult planned = disk.plan(" --disable Dhcp");
    INFO(planned.err);
    REQUIRE(planned.exit_code == 0);
    const std::string plan = file_bytes(disk.dir.file("plan.json"));
    // A replica with its table: nothing restored, its partition table kept.
    CHECK_THAT(plan, Catch::Contains("(its partition table kept)"));
    CHECK_THAT(plan, !Catch::Contains("image.restore") && !Catch::Contains("disk.apply_layout"));
    CHECK_THAT(plan, Catch::Contains("windows.inoculate") && Catch::Contains("windows.fixup_boot") && Catch::Contains("\"Dhcp\""));

    const std::string before = file_digest(disk.replica);
    const std::string undo = disk.dir.file("replica.undo");
    const RunResult ran = disk.run_with_undo(undo);
    INFO(ran.out << ran.err);
    REQUIRE(ran.exit_code == 0);
    CHECK(file_digest(disk.replica) != before);  // inoculated: the hive and drivers changed
    // Small: the regions around the partition edges and what ntfs-3g overwrote, not the volume.
    CHECK(fs::file_size(undo) < fs::file_size(disk.replica) / 4);

    const RunResult dry = run(dagda_command() + " undo " + sh_quote(undo) + " " + sh_quote(disk.replica) + " --dry-run");
    INFO(dry.out << dry.err);
    CHECK(dry.exit_code == 0);
    CHECK_THAT(dry.out, Catch::StartsWith("Would write back "));
    CHECK(file_digest(disk.replica) != before);

    const RunResult undone = run(dagda_command() + " undo " + sh_quote(undo) + " " + sh_quote(disk.replica) + " --yes");
    INFO(undone.out << undone.err);
    REQUIRE(undone.exit_code == 0);
    CHECK(file_digest(disk.replica) == before);
}

TEST_CASE("undo journal: a replica with no partition table gets the archive's, and undone it is blank again",
          "[windows][undo][integration]") {
    ReplicaDisk disk;
    REQUIRE(run("dd if=/dev/zero of=" + sh_quote(disk.replica) + " bs=1M count=1 conv=notrunc status=none").exit_code == 0);
    REQUIRE(disk.plan().exit_code == 0);
    CHECK_THAT(file_bytes(disk.dir.file("plan.json")), Catch::Contains("disk.apply_layout") && Catch::Contains("(its partition table written)"));
    const std::string before = file_digest(disk.replica);
    const std::string undo = disk.dir.file("replica.undo");
    const RunResult ran = disk.run_with_undo(undo);
    INFO(ran.out << ran.err);
    REQUIRE(ran.exit_code == 0);
    CHECK(run("sfdisk --dump " + sh_quote(disk.replica)).exit_code == 0);  // a table again
    REQUIRE(run(dagda_command() + " undo " + sh_quote(undo) + " " + sh_quote(disk.replica) + " --yes").exit_code == 0);
    CHECK(file_digest(disk.replica) == before);
}

TEST_CASE("undo journal: another disk, a damaged journal and a torn last record", "[windows][undo][integration]") {
    ReplicaDisk disk;
    REQUIRE(disk.plan().exit_code == 0);
    const std::string undo = disk.dir.file("replica.undo");
    REQUIRE(disk.run_with_undo(undo).exit_code == 0);
    const std::string changed = file_digest(disk.replica);

    // A disk of another size: refused, nothing written.
    const std::string other = disk.dir.file("other.img");
    REQUIRE(run("truncate -s 10M " + sh_quote(other)).exit_code == 0);
    const RunResult wrong = run(dagda_command() + " undo " + sh_quote(undo) + " " + sh_quote(other) + " --yes");
    CHECK(wrong.exit_code == 3);
    CHECK_THAT(wrong.err, Catch::Contains("was made for a target of") && Catch::Contains("nothing was written"));

    // A record damaged in the middle: refused before anything is written back.
    const std::string damaged = disk.dir.file("damaged.undo");
    fs::copy_file(undo, damaged);
    REQUIRE(run("printf 'XXXX' | dd of=" + sh_quote(damaged) + " bs=1 seek=40 conv=notrunc status=none").exit_code == 0);
    const RunResult refused = run(dagda_command() + " undo " + sh_quote(damaged) + " " + sh_quote(disk.replica) + " --yes");
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Catch::Contains("is damaged at byte") && Catch::Contains("nothing was written"));
    CHECK(file_digest(disk.replica) == changed);

    // The last record cut short (a crash while it was saved, before its write): the rest undone.
    const std::string torn = disk.dir.file("torn.undo");
    fs::copy_file(undo, torn);
    std::ofstream(torn, std::ios::app) << std::string(30, 'x');
    const RunResult cut = run(dagda_command() + " undo " + sh_quote(torn) + " " + sh_quote(disk.replica) + " --yes");
    INFO(cut.out << cut.err);
    CHECK(cut.exit_code == 0);
    CHECK_THAT(cut.out, Catch::Contains("was cut short"));
}
