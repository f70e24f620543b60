#include "disk/Plan.hpp"
#include "disk/SfdiskJson.hpp"

#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

using namespace dagda::disk;

namespace {

const std::string source_dir = DAGDA_SOURCE_DIR;

Layout fixture(const std::string& name) {
    return parse_layout_json(dagda::testing::file_bytes(source_dir + "/tests/fixtures/sfdisk/" + name));
}

TargetInfo image(std::uint64_t bytes) {
    TargetInfo target;
    target.path = "target.raw";
    target.size_bytes = bytes;
    return target;
}

// Golden plan text (libstorage-ng style); DAGDA_UPDATE_GOLDEN=1 rewrites it for review in the diff.
void check_golden(const std::string& name, const std::string& text) {
    const std::string path = source_dir + "/tests/golden/disk/" + name + "-expected.txt";
    if (std::getenv("DAGDA_UPDATE_GOLDEN")) std::ofstream(path) << text;
    CHECK(text == dagda::testing::file_bytes(path));
}

}  // namespace

TEST_CASE("Plan: the Windows 7 layout on a larger image, golden text", "[disk][plan]") {
    Layout layout = fixture("win7-mbr.json");
    const Plan plan = build_plan(layout, image(1ull << 30), {});
    check_golden("win7-mbr-on-1gib", plan_text(plan));
    CHECK(plan.boot_code.size() == 440);
    CHECK(plan.layout.device == "target.raw");
}

TEST_CASE("Plan: a Windows UEFI layout fitted to a 5 GiB image, golden text", "[disk][plan]") {
    PlanOptions options;
    options.fit = true;
    const Plan plan = build_plan(fixture("win-gpt.json"), image(5ull << 30), options);
    check_golden("win-gpt-fit-5gib", plan_text(plan));
    CHECK(plan.boot_code == std::vector<std::uint8_t>(440, 0));
}

TEST_CASE("Plan: the two tenses of an action", "[disk][plan]") {
    const Plan plan = build_plan(fixture("linux-dos.json"), image(1ull << 30), {});
    REQUIRE(plan.actions.size() == 8);
    CHECK(plan.actions[1].plan_text() ==
          "Create partition 1 at sector 2048, 204800 sectors (100 MiB), type 0xEF EFI (FAT-12/16/32), bootable");
    CHECK(plan.actions[1].doing_text() ==
          "Creating partition 1 at sector 2048, 204800 sectors (100 MiB), type 0xEF EFI (FAT-12/16/32), bootable...");
    CHECK(plan.boot_code_source.find("syslinux") != std::string::npos);
}

TEST_CASE("Plan: missing identities are settled before the plan is printed", "[disk][plan]") {
    Layout layout = fixture("win-gpt.json");
    layout.id.clear();
    for (auto& part : layout.partitions) part.uuid.reset();
    const Plan plan = build_plan(layout, image(3ull << 30), {});
    REQUIRE(plan.layout.id.size() == 36);
    CHECK(plan.layout.id[14] == '4');  // a version 4 GUID
    for (const auto& part : plan.layout.partitions) {
        REQUIRE(part.uuid.has_value());
        CHECK(plan_text(plan).find(*part.uuid) != std::string::npos);
    }
}

TEST_CASE("Plan: with a seed, missing identities are the same in every plan of that seed", "[disk][plan]") {
    Layout layout = fixture("win-gpt.json");
    layout.id.clear();
    for (auto& part : layout.partitions) part.uuid.reset();
    PlanOptions options;
    options.id_seed = "plan A on disk X";
    const Plan first = build_plan(layout, image(3ull << 30), options);
    const Plan again = build_plan(layout, image(3ull << 30), options);
    CHECK(plan_text(first) == plan_text(again));
    CHECK(first.layout.id[14] == '4');
    options.id_seed = "plan A on disk Y";
    const Plan other = build_plan(layout, image(3ull << 30), options);
    CHECK(other.layout.id != first.layout.id);
    CHECK(other.layout.partitions[0].uuid != first.layout.partitions[0].uuid);
    Layout dos = fixture("win7-mbr.json");
    dos.id.clear();
    options.id_seed = "plan A on disk X";
    CHECK(build_plan(dos, image(1ull << 30), options).layout.id == build_plan(dos, image(1ull << 30), options).layout.id);
}

TEST_CASE("Plan: a source's first track is written after the table, its gap and sector 0 bytes 444-445", "[disk][plan]") {
    PlanOptions options;
    options.first_track.assign(128 * 512, 0x5A);
    const Plan plan = build_plan(fixture("win7-mbr.json"), image(1ull << 30), options);
    REQUIRE(plan.actions.size() == 7);
    CHECK(plan.actions[5].kind == ActionKind::write_first_track);
    CHECK(plan.actions[5].plan_text() ==
          "Write sector 0 bytes 444-445 and sectors 1-127 (the boot-loader gap before the first partition) from the source's first track");
    CHECK(first_track_gap(plan.layout, plan.first_track.size()) == std::pair<std::uint64_t, std::uint64_t>{512, 128 * 512});
}

TEST_CASE("Plan: an invalid layout gives no plan", "[disk][plan]") {
    Layout layout = fixture("win7-mbr.json");
    layout.partitions[1].start = 100;
    CHECK_THROWS_WITH(build_plan(layout, image(1ull << 30), {}), Catch::Contains("overlaps"));
}
