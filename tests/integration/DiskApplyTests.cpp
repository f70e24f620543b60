// disk apply and disk show through the real dagda binary on image files, checked with sfdisk,
// sgdisk and blkid: tools nobody here wrote.

#include "common/Run.hpp"
#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <regex>

using namespace dagda::testing;

namespace {

std::string fixture_text(const std::string& name) {
    return file_bytes(std::string(DAGDA_SOURCE_DIR) + "/tests/fixtures/sfdisk/" + name);
}

// The document as sfdisk would print it for another file: device and node names follow.
std::string for_device(std::string text, const std::string& from, const std::string& to) {
    std::size_t at = 0;
    while ((at = text.find("\"" + from, at)) != std::string::npos) {
        text.replace(at + 1, from.size(), to);
        at += to.size();
    }
    return text;
}

std::string write_text(const TempDir& dir, const std::string& name, const std::string& text) {
    const std::string path = dir.file(name);
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

RunResult apply_layout(const std::string& target, const std::string& layout, const std::string& options = "--yes") {
    return run(dagda_command() + " disk apply " + sh_quote(target) + " " + sh_quote(layout) + " " + options);
}

struct Case {
    const char* document;
    const char* device;
    std::uint64_t disk_bytes;
};

}  // namespace

TEST_CASE("disk apply: each sfdisk document, applied and shown again, is byte-identical", "[disk][apply][integration]") {
    const Case c = GENERATE(Case{"win7-mbr.json", "win7-mbr.raw", 60ull << 20}, Case{"win-gpt.json", "win-gpt.raw", 3ull << 30},
                            Case{"linux-dos.json", "linux-dos.raw", 1ull << 30},
                            Case{"gpt-names-attrs.json", "gpt-names-attrs.raw", 20ull << 20},
                            Case{"dos-extended.json", "dos-extended.raw", 200ull << 20});
    CAPTURE(c.document);
    TempDir dir;
    const std::string target = make_image(dir, "target.raw", c.disk_bytes);
    const std::string wanted = for_device(fixture_text(c.document), c.device, target);
    const std::string layout = write_text(dir, "layout.json", wanted);
    const RunResult applied = apply_layout(target, layout);
    INFO(applied.out << applied.err);
    REQUIRE(applied.exit_code == 0);
    CHECK(run(dagda_command() + " disk show " + sh_quote(target) + " --json").out == wanted);
    CHECK(run("sfdisk --json " + sh_quote(target)).out == wanted);
    CHECK(run("sfdisk --verify " + sh_quote(target)).exit_code == 0);
    const RunResult blkid = run("blkid -p -o export " + sh_quote(target));
    CHECK_THAT(blkid.out, Catch::Contains("PTTYPE="));
    if (wanted.find("\"gpt\"") != std::string::npos) {
        const RunResult sgdisk = run("sgdisk --verify " + sh_quote(target));
        CHECK_THAT(sgdisk.out, Catch::Contains("No problems found"));
    }
}

TEST_CASE("disk apply: the Windows 7 disk's layout reproduces its table sector exactly", "[disk][apply][integration]") {
    TempDir dir;
    const std::string source = shared_fixture(dir, "disks/mbr-two-ntfs.raw.xz");
    const std::string layout = dir.file("layout.json");
    REQUIRE(run(dagda_command() + " disk show " + sh_quote(source) + " --json --with-bootcode > " + sh_quote(layout)).exit_code == 0);
    const std::string target = make_image(dir, "target.raw", 62915072);
    REQUIRE(apply_layout(target, layout).exit_code == 0);
    // Boot code, signature, the four entries (CHS included) and 55AA: the whole sector 0.
    CHECK(file_range(source, 0, 512) == file_range(target, 0, 512));
    SECTION("and on a larger disk the table is the same but for CHS beyond the old geometry") {
        const std::string larger = make_image(dir, "larger.raw", 1ull << 30);
        REQUIRE(apply_layout(larger, layout).exit_code == 0);
        const auto dump = [](const std::string& path, const std::string& name) {
            return std::regex_replace(run("sfdisk --dump " + sh_quote(path)).out, std::regex(path), name);
        };
        CHECK(dump(source, "D") == dump(larger, "D"));
        CHECK(file_range(source, 0, 440) == file_range(larger, 0, 440));
    }
}

TEST_CASE("disk apply --fit: a 3 GiB Windows layout on a 5 GiB disk", "[disk][apply][fit][integration]") {
    TempDir dir;
    const std::string target = make_image(dir, "target.raw", 5ull << 30);
    const std::string layout = write_text(dir, "layout.json", fixture_text("win-gpt.json"));
    const RunResult applied = apply_layout(target, layout, "--yes --fit");
    INFO(applied.err);
    REQUIRE(applied.exit_code == 0);
    CHECK_THAT(run("sgdisk --verify " + sh_quote(target)).out, Catch::Contains("No problems found"));
    const std::string dump = run("sfdisk --dump " + sh_quote(target)).out;
    CHECK_THAT(dump, Catch::Contains("last-lba: 10485726"));
    // Partition 3 takes the 2 GiB more; the source's free space after partition 4 stays free.
    CHECK_THAT(dump, Catch::Contains("start=     7471104, size=     1024000, type=DE94BBA4"));
    CHECK_THAT(dump, Catch::Contains("start=      239616, size=     7194304, type=EBD0A0A2"));
}

TEST_CASE("disk apply --dry-run prints the plan and writes nothing", "[disk][apply][integration]") {
    TempDir dir;
    const std::string target = make_image(dir, "target.raw", 20ull << 20);
    const std::string layout = write_text(dir, "layout.json", fixture_text("gpt-names-attrs.json"));
    const std::string before = file_digest(target);
    const RunResult result = apply_layout(target, layout, "--dry-run");
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.out, Catch::Contains("1. Create gpt partition table on " + target));
    CHECK_THAT(result.out, Catch::Contains("GUID 0C0FFEE0-0000-4000-8000-000000000003, attributes LegacyBIOSBootable GUID:60,62"));
    CHECK_THAT(result.out, Catch::Contains("Dry run: nothing was written."));
    CHECK(file_digest(target) == before);
}

TEST_CASE("disk apply --fit: logical partitions and their extended partition on a larger disk", "[disk][apply][fit][integration]") {
    TempDir dir;
    const std::string target = make_image(dir, "target.raw", 1ull << 30);
    const std::string layout = write_text(dir, "layout.json", fixture_text("dos-extended.json"));
    const RunResult applied = apply_layout(target, layout, "--yes --fit");
    INFO(applied.err);
    REQUIRE(applied.exit_code == 0);
    CHECK(run("sfdisk --verify " + sh_quote(target)).exit_code == 0);
    const std::string dump = run("sfdisk --dump " + sh_quote(target)).out;
    CHECK_THAT(dump, Catch::Contains("start=       40960, size=     2055136, type=f"));
    CHECK_THAT(dump, Catch::Contains("start=       91086, size=     1815136, type=b"));
    CHECK_THAT(dump, Catch::Contains("start=     1906336, size=        4000, type=27"));
}

TEST_CASE("disk apply: old tables dagda cannot write do not stop it from replacing them", "[disk][apply][integration]") {
    TempDir dir;
    const std::string layout = write_text(dir, "layout.json", fixture_text("gpt-names-attrs.json"));
    SECTION("a dos partition that runs past the end of a damaged disk") {
        const std::string target = make_image(dir, "target.raw", 100ull << 20);
        REQUIRE(run("printf 'label: dos\\nstart=2048, size=100000, type=7\\nstart=120000, size=60000, type=83\\n' | sfdisk -q " +
                    sh_quote(target)).exit_code == 0);
        REQUIRE(run("truncate -s 20M " + sh_quote(target)).exit_code == 0);
        const RunResult inventory = run(dagda_command() + " inventory --json --disk " + sh_quote(target));
        CHECK(inventory.exit_code == 0);
        const RunResult applied = apply_layout(target, layout);
        INFO(applied.err);
        CHECK(applied.exit_code == 0);
    }
    SECTION("a Sun disk label") {
        const std::string target = make_image(dir, "target.raw", 20ull << 20);
        REQUIRE(run("printf 'label: sun\\n,10000,83\\n' | sfdisk -q " + sh_quote(target)).exit_code == 0);
        const RunResult applied = apply_layout(target, layout);
        INFO(applied.err);
        CHECK(applied.exit_code == 0);
        CHECK_THAT(run("sfdisk --dump " + sh_quote(target)).out, Catch::Contains("label: gpt"));
    }
}

TEST_CASE("disk show: a damaged primary GPT header is read from the backup, as sfdisk does", "[disk][show][integration]") {
    TempDir dir;
    const std::string target = make_image(dir, "target.raw", 20ull << 20);
    const std::string wanted = for_device(fixture_text("gpt-names-attrs.json"), "gpt-names-attrs.raw", target);
    REQUIRE(apply_layout(target, write_text(dir, "layout.json", wanted)).exit_code == 0);
    REQUIRE(run("printf '\\377' | dd of=" + sh_quote(target) + " bs=1 seek=600 conv=notrunc status=none").exit_code == 0);
    const RunResult shown = run(dagda_command() + " disk show " + sh_quote(target) + " --json");
    CHECK(shown.out == run("sfdisk --json " + sh_quote(target) + " 2>/dev/null").out);
    CHECK(shown.out == wanted);
}

TEST_CASE("disk apply: a layout listed out of order, with attribute bits sfdisk cannot name", "[disk][apply][integration]") {
    TempDir dir;
    const std::string source = make_image(dir, "source.raw", 20ull << 20);
    REQUIRE(apply_layout(source, write_text(dir, "a.json", fixture_text("gpt-names-attrs.json"))).exit_code == 0);
    REQUIRE(run("sgdisk -A 1:set:10 " + sh_quote(source) + " >/dev/null").exit_code == 0);
    const std::string dump = run("sfdisk --json " + sh_quote(source)).out;
    REQUIRE_THAT(dump, Catch::Contains("\"attrs\": null"));
    CHECK(run(dagda_command() + " disk show " + sh_quote(source) + " --json").out == dump);
    // sfdisk's own document, with its partitions in reverse order, is accepted.
    nlohmann::json document = nlohmann::json::parse(dump);
    auto& parts = document["partitiontable"]["partitions"];
    std::reverse(parts.begin(), parts.end());
    const std::string reversed = document.dump(1);
    const std::string target = make_image(dir, "target.raw", 20ull << 20);
    const RunResult applied = apply_layout(target, write_text(dir, "reversed.json", reversed));
    INFO(reversed << applied.err);
    REQUIRE(applied.exit_code == 0);
    CHECK(run("sfdisk --dump " + sh_quote(target)).out.find("name=\"Donn") != std::string::npos);
}

TEST_CASE("disk apply: a dry run prints the disk id and GUIDs the run then writes", "[disk][apply][integration]") {
    TempDir dir;
    const std::string target = make_image(dir, "target.raw", 64ull << 20);
    // No disk GUID, no partition GUIDs: dagda settles them.
    const std::string layout = write_text(dir, "layout.json", R"({"partitiontable": {"label": "gpt", "unit": "sectors", "partitions": [
        {"node": "x1", "start": 2048, "size": 20480, "type": "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"},
        {"node": "x2", "start": 22528, "size": 40960, "type": "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"}]}})");
    const RunResult dry = apply_layout(target, layout, "--dry-run");
    INFO(dry.out << dry.err);
    REQUIRE(dry.exit_code == 0);
    REQUIRE(apply_layout(target, layout).exit_code == 0);
    const nlohmann::json written = nlohmann::json::parse(run("sfdisk --json " + sh_quote(target)).out)["partitiontable"];
    CHECK_THAT(dry.out, Catch::Contains("disk GUID " + written["id"].get<std::string>()));
    for (const auto& part : written["partitions"]) CHECK_THAT(dry.out, Catch::Contains("GUID " + part["uuid"].get<std::string>()));
}
