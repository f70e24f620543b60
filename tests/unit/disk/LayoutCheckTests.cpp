#include "core/Error.hpp"
#include "disk/Fit.hpp"
#include "disk/LayoutCheck.hpp"
#include "disk/SfdiskJson.hpp"

#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

using dagda::Error;
using dagda::ErrorKind;
using namespace dagda::disk;

namespace {

Layout fixture(const std::string& name) {
    return parse_layout_json(dagda::testing::file_bytes(std::string(DAGDA_SOURCE_DIR) + "/tests/fixtures/sfdisk/" + name));
}

PartitionSpec part(unsigned number, std::uint64_t start, std::uint64_t size, const std::string& type = "7") {
    PartitionSpec p;
    p.number = number;
    p.start = start;
    p.size = size;
    p.type = type;
    return p;
}

std::string all_messages(const std::vector<LayoutProblem>& problems) {
    std::string text;
    for (const auto& problem : problems) text += problem.message + "\n";
    return text;
}

const TargetGeometry one_gib{2097152, 512};

}  // namespace

TEST_CASE("LayoutCheck: the fixture layouts fit their own disks", "[disk][check]") {
    CHECK(check_layout(fixture("win7-mbr.json"), {122880, 512}).empty());
    CHECK(check_layout(fixture("win-gpt.json"), {3ull * 2097152, 512}).empty());
}

TEST_CASE("LayoutCheck: each problem is named, all at once", "[disk][check]") {
    Layout layout;
    layout.label = TableKind::dos;
    layout.partitions = {part(1, 2048, 4096), part(2, 4000, 100), part(5, 10000, 10), part(3, 0, 10), part(4, 2000000, 200000)};
    layout.partitions[0].bootable = layout.partitions[1].bootable = true;
    const auto problems = check_layout(layout, one_gib);
    const std::string text = all_messages(problems);
    CHECK_THAT(text, Catch::Contains("partition 1 (sectors 2048-6143) overlaps partition 2"));
    CHECK_THAT(text, Catch::Contains("logical partitions (5 and up) need an extended partition"));
    CHECK_THAT(text, Catch::Contains("partition 3: starts at sector 0"));
    CHECK_THAT(text, Catch::Contains("partition 4: ends at sector 2199999, beyond the end"));
    CHECK_THAT(text, Catch::Contains("more than one partition is bootable"));
    CHECK_THROWS_AS(require_valid_layout(layout, one_gib), Error);
    try {
        require_valid_layout(layout, one_gib);
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::refused);  // one problem is the target's size
    }
}

TEST_CASE("LayoutCheck: logical partitions lie inside the extended one, numbered in disk order", "[disk][check]") {
    const TargetGeometry disk{409600, 512};
    CHECK(check_layout(fixture("dos-extended.json"), disk).empty());
    Layout outside = fixture("dos-extended.json");
    outside.partitions[4].start = 340000;  // partition 7 past the end of extended partition 2
    CHECK_THAT(all_messages(check_layout(outside, disk)), Catch::Contains("partition 7 (sectors 340000-343999) must lie inside extended partition 2"));
    Layout no_ebr_room = fixture("dos-extended.json");
    no_ebr_room.partitions[3].start = no_ebr_room.partitions[2].end();  // 6 right after 5: no sector for its boot record
    CHECK_THAT(all_messages(check_layout(no_ebr_room, disk)), Catch::Contains("after a free sector for its boot record"));
    Layout misnumbered = fixture("dos-extended.json");
    std::swap(misnumbered.partitions[2].number, misnumbered.partitions[3].number);
    CHECK_THAT(all_messages(check_layout(misnumbered, disk)), Catch::Contains("numbered from 5 in disk order"));
    Layout two = fixture("dos-extended.json");
    two.partitions[0].type = "5";
    two.partitions[0].bootable = false;
    CHECK_THAT(all_messages(check_layout(two, disk)), Catch::Contains("more than one extended partition"));
}

TEST_CASE("Fit: a grown logical partition grows its extended partition too", "[disk][fit]") {
    const Layout source = fixture("dos-extended.json");  // last data partition: logical 6 (7 is WinRE)
    const Layout fitted = fit_layout(source, one_gib, std::nullopt);
    const std::uint64_t delta = fitted.partitions[3].size - source.partitions[3].size;
    CHECK(delta > 0);
    CHECK(delta % 2048 == 0);
    CHECK(fitted.partitions[1].size == source.partitions[1].size + delta);  // extended 2
    CHECK(fitted.partitions[2].start == source.partitions[2].start);        // logical 5 stays
    CHECK(fitted.partitions[4].start == source.partitions[4].start + delta);  // logical 7 moves
    CHECK(check_layout(fitted, one_gib).empty());
}

TEST_CASE("LayoutCheck: gpt limits and duplicates", "[disk][check]") {
    Layout layout = fixture("win-gpt.json");
    layout.first_lba = 10;
    layout.partitions[1].uuid = layout.partitions[0].uuid;
    layout.partitions[2].name = std::string(37, 'x');
    const std::string text = all_messages(check_layout(layout, {3ull * 2097152, 512}));
    CHECK_THAT(text, Catch::Contains("firstlba 10 lies inside the GPT entry array"));
    CHECK_THAT(text, Catch::Contains("is used twice"));
    CHECK_THAT(text, Catch::Contains("longer than 36"));
    Layout inverted = fixture("win-gpt.json");
    inverted.first_lba = 100000;
    inverted.last_lba = 50000;
    CHECK_THAT(all_messages(check_layout(inverted, {3ull * 2097152, 512})), Catch::Contains("firstlba 100000 is after lastlba 50000"));
    Layout nul = fixture("win-gpt.json");
    nul.partitions[0].name = std::string("ab\0cd", 5);
    CHECK_THAT(all_messages(check_layout(nul, {3ull * 2097152, 512})), Catch::Contains("NUL"));
}

TEST_CASE("LayoutCheck: a smaller disk or other sector size is a refusal", "[disk][check]") {
    const auto small = check_layout(fixture("win-gpt.json"), one_gib);
    REQUIRE_FALSE(small.empty());
    CHECK(small[0].kind == ErrorKind::refused);
    CHECK_THAT(small[0].message, Catch::Contains("lastlba 6291422 is beyond the end"));
    const auto sectors = check_layout(fixture("win7-mbr.json"), {1000000, 4096});
    REQUIRE(sectors.size() == 1);
    CHECK_THAT(sectors[0].message, Catch::Contains("512-byte sectors but the target has 4096"));
}

TEST_CASE("Fit: the last data partition grows by the disks' difference, the recovery partition moves with it", "[disk][fit]") {
    const Layout source = fixture("win-gpt.json");  // from a 3 GiB disk
    const TargetGeometry five_gib{5ull * 2097152, 512};
    const Layout fitted = fit_layout(source, five_gib, std::nullopt);
    CHECK(fitted.last_lba == 5ull * 2097152 - 34);
    CHECK(fitted.partitions[0].start == source.partitions[0].start);
    CHECK(fitted.partitions[1].size == source.partitions[1].size);
    const std::uint64_t delta = fitted.partitions[2].size - source.partitions[2].size;
    CHECK(delta % 2048 == 0);
    CHECK(fitted.partitions[3].start == source.partitions[3].start + delta);
    CHECK(fitted.partitions[3].start % 2048 == 0);
    CHECK(fitted.partitions[3].end() - 1 <= *fitted.last_lba);
    // The source left space free after its last partition; the larger disk keeps it free.
    const std::uint64_t free_before = *source.last_lba + 1 - source.partitions[3].end();
    const std::uint64_t free_after = *fitted.last_lba + 1 - fitted.partitions[3].end();
    CHECK(free_after >= free_before);
    CHECK(free_after - free_before < 2048);
    CHECK(check_layout(fitted, five_gib).empty());
}

TEST_CASE("Fit: shrinking onto a smaller disk, and refusing when it cannot fit", "[disk][fit]") {
    const Layout source = fixture("win-gpt.json");
    const TargetGeometry two_gib{2ull * 2097152, 512};
    const Layout fitted = fit_layout(source, two_gib, std::nullopt);
    CHECK(fitted.partitions[2].size < source.partitions[2].size);
    CHECK(check_layout(fitted, two_gib).empty());
    CHECK_THROWS_WITH(fit_layout(source, {1000000, 512}, std::nullopt), Catch::Contains("too small"));
}

TEST_CASE("Fit: --grow picks the partition - unknown numbers and layouts without data are refused", "[disk][fit]") {
    const Layout source = fixture("win7-mbr.json");
    const Layout grown_first = fit_layout(source, one_gib, 1u);
    CHECK(grown_first.partitions[0].size > source.partitions[0].size);
    CHECK(grown_first.partitions[1].size == source.partitions[1].size);
    CHECK(grown_first.partitions[1].start - source.partitions[1].start == grown_first.partitions[0].size - source.partitions[0].size);
    CHECK_THROWS_WITH(fit_layout(source, one_gib, 9u), Catch::Contains("no partition 9"));
    Layout no_data = source;
    for (auto& p : no_data.partitions) p.type = "27";
    CHECK_THROWS_WITH(fit_layout(no_data, one_gib, std::nullopt), Catch::Contains("no data partition"));
}

TEST_CASE("Fit: a target of the source's size keeps the layout exactly, free tail included", "[disk][fit]") {
    // The Windows 7 disk is 122881 sectors and its partitions end at 116864: 2.9 MiB stay free.
    const Layout source = fixture("win7-mbr.json");
    const Layout same = fit_layout(source, {122881, 512}, std::nullopt, 122881);
    REQUIRE(same.partitions.size() == source.partitions.size());
    for (std::size_t i = 0; i < same.partitions.size(); ++i) {
        CHECK(same.partitions[i].start == source.partitions[i].start);
        CHECK(same.partitions[i].size == source.partitions[i].size);
    }
    // A larger disk grows the last partition by the difference in disk size (whole MiB), and the
    // free tail stays free.
    const Layout larger = fit_layout(source, {122881 + 10 * 2048, 512}, std::nullopt, 122881);
    CHECK(larger.partitions[1].size == source.partitions[1].size + 10 * 2048);
    // A smaller disk that still holds the partitions leaves them as they are.
    const Layout smaller = fit_layout(source, {118000, 512}, std::nullopt, 122881);
    CHECK(smaller.partitions[1].size == source.partitions[1].size);
    // A gpt layout's lastlba says where the source's usable space ended.
    const Layout gpt = fixture("win-gpt.json");
    const std::uint64_t gpt_sectors = *gpt.last_lba + 34;
    const Layout gpt_same = fit_layout(gpt, {gpt_sectors, 512}, std::nullopt);
    CHECK(gpt_same.last_lba == gpt.last_lba);
    for (std::size_t i = 0; i < gpt_same.partitions.size(); ++i) {
        CHECK(gpt_same.partitions[i].start == gpt.partitions[i].start);
        CHECK(gpt_same.partitions[i].size == gpt.partitions[i].size);
    }
}
