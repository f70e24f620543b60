// dagda tib restore --onto-generation: a disk or volume holding an older generation becomes the
// newer one by writing only the blocks that changed, byte-identical to a full restore of the newer
// generation onto the same disk; a target that does not hold the older generation is refused.

#include "common/NtfsEdit.hpp"
#include "common/RangeServer.hpp"
#include "common/Run.hpp"
#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>

using namespace dagda::testing;
namespace fs = std::filesystem;

namespace {

RunResult tib(const std::string& arguments) { return run(dagda_command() + " tib " + arguments + " --progress none"); }

std::uint64_t windows_written(const std::string& out, unsigned volume) {
    std::smatch match;
    const std::regex line("volume " + std::to_string(volume) + ": ([0-9]+) of ([0-9]+) windows");
    return std::regex_search(out, match, line) ? std::stoull(match[1]) : ~0ull;
}

}  // namespace

TEST_CASE("tib restore --onto-generation: a disk holding generation 1 becomes generation 3, writing only what changed, "
          "byte-identical to a full restore",
          "[image][tib][delta][integration]") {
    TempDir dir;
    if (!have_program("ntfscp") || !have_program("ntfscat")) FAIL("missing: ntfs-3g's ntfscp and ntfscat");
    // The disk Windows 7 made: NTFS partitions at sectors 128 (55296 sectors) and 55424 (61440).
    const std::string source = shared_fixture(dir, "disks/mbr-two-ntfs.raw.xz");
    REQUIRE_FALSE(source.empty());
    const auto capture = [&](const std::string& name, const std::string& base) {
        const RunResult r = tib("capture --disk " + sh_quote(source) + " " + sh_quote(dir.file(name)) + (base.empty() ? "" : " --base " + sh_quote(dir.file(base))));
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    };
    capture("g1.tib", "");
    add_random_file(dir, source, 128, 55296, "first.bin", 300000);
    capture("g2.tib", "g1.tib");
    add_random_file(dir, source, 55424, 61440, "second.bin", 200000);
    capture("g3.tib", "g2.tib");

    // The replica: a disk of the source's size that a full restore gave generation 1.
    const std::string replica = dir.file("replica.raw");
    REQUIRE(run("truncate -s " + std::to_string(fs::file_size(source)) + " " + sh_quote(replica)).exit_code == 0);
    REQUIRE(tib("restore " + sh_quote(dir.file("g1.tib")) + " " + sh_quote(replica) + " --disk --yes").exit_code == 0);
    // What a full restore of generation 3 makes of the same disk.
    const std::string full = dir.file("full.raw");
    REQUIRE(run("cp --sparse=always " + sh_quote(replica) + " " + sh_quote(full)).exit_code == 0);
    REQUIRE(tib("restore " + sh_quote(dir.file("g3.tib")) + " " + sh_quote(full) + " --disk --yes").exit_code == 0);

    SECTION("the delta equals the full restore, and a second run has nothing left to write") {
        const RunResult dry = tib("restore " + sh_quote(dir.file("g3.tib")) + " " + sh_quote(replica) + " --disk --onto-generation 1 --dry-run");
        INFO(dry.out << dry.err);
        REQUIRE(dry.exit_code == 0);
        CHECK_THAT(dry.out, Catch::Contains("g3.tib) onto " + replica + ", which holds generation 1 ("));
        const std::string before = file_digest(replica);
        const RunResult delta = tib("restore " + sh_quote(dir.file("g3.tib")) + " " + sh_quote(replica) + " --disk --onto-generation 1 --yes --verify");
        INFO(delta.out << delta.err);
        REQUIRE(delta.exit_code == 0);
        CHECK(before != file_digest(replica));
        CHECK(file_digest(replica) == file_digest(full));
        // Both volumes changed, each in a few of its windows only (7 and 8 in use).
        for (unsigned volume : {1u, 2u}) {
            CHECK(windows_written(delta.out, volume) > 0);
            CHECK(windows_written(delta.out, volume) < 7);
            CHECK(windows_written(dry.out, volume) == windows_written(delta.out, volume));
        }
        const RunResult again = tib("restore " + sh_quote(dir.file("g3.tib")) + " " + sh_quote(replica) + " --disk --onto-generation 1 --yes");
        INFO(again.out);
        REQUIRE(again.exit_code == 0);
        // Left alone, except where what changed are blocks generation 1 did not use: such a window
        // holds generation 1's digest still, and is written again to the same bytes.
        CHECK(windows_written(again.out, 1) < windows_written(delta.out, 1));
        CHECK(windows_written(again.out, 2) < windows_written(delta.out, 2));
        CHECK_THAT(again.out, Catch::Contains("written already"));
        CHECK(file_digest(replica) == file_digest(full));
    }
    SECTION("from generation 2, the first volume has nothing to write") {
        const std::string held2 = dir.file("held2.raw");
        REQUIRE(run("cp --sparse=always " + sh_quote(replica) + " " + sh_quote(held2)).exit_code == 0);
        REQUIRE(tib("restore " + sh_quote(dir.file("g2.tib")) + " " + sh_quote(held2) + " --disk --yes").exit_code == 0);
        const RunResult delta = tib("restore " + sh_quote(dir.file("g3.tib")) + " " + sh_quote(held2) + " --disk --generation 3 --onto-generation 2 --yes");
        INFO(delta.out << delta.err);
        REQUIRE(delta.exit_code == 0);
        CHECK(windows_written(delta.out, 1) == 0);
        CHECK(windows_written(delta.out, 2) > 0);
        CHECK(file_digest(held2) == file_digest(full));
    }
    SECTION("a disk that does not hold generation 1 where the delta writes is refused, and nothing is written") {
        // Partition 2's boot sector changed behind the replica's back (a mount, a chkdsk, a grown NTFS).
        REQUIRE(run("printf 'XXXX' | dd of=" + sh_quote(replica) + " bs=1 seek=" + std::to_string(55424 * 512 + 3) + " conv=notrunc status=none").exit_code == 0);
        const std::string before = file_digest(replica);
        const RunResult refused = tib("restore " + sh_quote(dir.file("g3.tib")) + " " + sh_quote(replica) + " --disk --onto-generation 1 --yes");
        CHECK(refused.exit_code == 3);
        CHECK_THAT(refused.err, Catch::Contains("volume 2 window 0") && Catch::Contains("holds neither generation 1 (") && Catch::Contains("g1.tib) nor generation 3 (") &&
                                    Catch::Contains("nothing was written"));
        CHECK(file_digest(replica) == before);
    }
    SECTION("an identity not asserted and a generation outside the chain are refused") {
        const std::string before = file_digest(replica);
        CHECK(tib("restore " + sh_quote(dir.file("g3.tib")) + " " + sh_quote(replica) + " --disk --onto-generation 1").exit_code == 3);
        const RunResult outside = tib("restore " + sh_quote(dir.file("g3.tib")) + " " + sh_quote(replica) + " --disk --onto-generation 3 --yes");
        CHECK(outside.exit_code == 2);
        CHECK_THAT(outside.err, Catch::Contains("1 to 2"));
        CHECK(file_digest(replica) == before);
    }
}

TEST_CASE("tib restore --onto-generation: a delta cut short by a dropped link resumes and ends identical to the newest generation",
          "[image][tib][delta][resume][net][integration]") {
    TempDir dir;
    const std::string volume = dir.file("vol.raw");
    REQUIRE(run("head -c 41943040 /dev/urandom > " + sh_quote(volume)).exit_code == 0);  // 10 windows of 4 MiB
    REQUIRE(tib("capture --volume " + sh_quote(volume) + " " + sh_quote(dir.file("g1.tib"))).exit_code == 0);
    const std::string replica = dir.file("replica.raw");
    REQUIRE(tib("restore " + sh_quote(dir.file("g1.tib")) + " " + sh_quote(replica)).exit_code == 0);
    // Generation 2: 3 MiB changed in each of six windows, so each window's chunk is a request of its own.
    for (int window : {0, 2, 4, 5, 7, 9})
        REQUIRE(run("head -c 3145728 /dev/urandom | dd of=" + sh_quote(volume) + " bs=4096 seek=" + std::to_string(window * 1024 + 17) +
                    " conv=notrunc status=none").exit_code == 0);
    REQUIRE(tib("capture --volume " + sh_quote(volume) + " " + sh_quote(dir.file("g2.tib")) + " --base " + sh_quote(dir.file("g1.tib"))).exit_code == 0);

    RangeServer server(dir.path());
    const std::string url = server.url("g2.tib");
    // The requests of a whole delta, counted on a scratch copy: the link then drops before the last two.
    const std::string scratch = dir.file("scratch.raw");
    REQUIRE(run("cp " + sh_quote(replica) + " " + sh_quote(scratch)).exit_code == 0);
    const int before = server.requests();
    REQUIRE(tib("restore " + url + " " + sh_quote(scratch) + " --onto-generation 1 --yes --threads 1").exit_code == 0);
    const int whole = server.requests() - before;
    REQUIRE(file_digest(scratch) == file_digest(volume));

    server.fail_after(whole - 2);
    const RunResult cut = tib("restore " + url + " " + sh_quote(replica) + " --onto-generation 1 --yes --threads 1 --checkpoint-every 1");
    INFO(cut.out << cut.err);
    REQUIRE(cut.exit_code == 1);
    CHECK_THAT(cut.out, !Catch::Contains("Done"));
    REQUIRE(fs::exists(replica + ".dagda-checkpoint"));
    server.fail_after(-1);
    // The replica is now half written: the resumed run does not prove it again, and finishes it.
    const RunResult resumed = tib("restore " + url + " " + sh_quote(replica) + " --onto-generation 1 --yes --threads 1 --verify");
    INFO(resumed.out << resumed.err);
    REQUIRE(resumed.exit_code == 0);
    CHECK_THAT(resumed.out, Catch::Contains("(resuming)"));
    CHECK(file_digest(replica) == file_digest(volume));
    CHECK_FALSE(fs::exists(replica + ".dagda-checkpoint"));
}
