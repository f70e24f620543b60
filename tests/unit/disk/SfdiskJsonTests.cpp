#include "core/Error.hpp"
#include "disk/SfdiskJson.hpp"

#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

#include <string>

using dagda::Error;
using dagda::ErrorKind;
using namespace dagda::disk;

namespace {

std::string fixture(const std::string& name) {
    return dagda::testing::file_bytes(std::string(DAGDA_SOURCE_DIR) + "/tests/fixtures/sfdisk/" + name);
}

std::string error_of(const std::string& text) {
    try {
        parse_layout_json(text);
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::failed);
        return e.what();
    }
    return "no error";
}

const char* dos_prefix = R"({"partitiontable": {"label": "dos", "id": "0x1", "partitions": [)";

}  // namespace

TEST_CASE("SfdiskJson: every sfdisk document parses and prints back byte for byte", "[disk][json]") {
    const std::string name = GENERATE("win7-mbr.json", "win-gpt.json", "linux-dos.json", "gpt-names-attrs.json", "dos-extended.json");
    const std::string text = fixture(name);
    CAPTURE(name);
    CHECK(to_sfdisk_json(parse_layout_json(text)) == text);
}

TEST_CASE("SfdiskJson: the Windows 7 fixture's values are read", "[disk][json]") {
    const Layout layout = parse_layout_json(fixture("win7-mbr.json"));
    CHECK(layout.label == TableKind::dos);
    CHECK(layout.id == "0x7ef7f55d");
    REQUIRE(layout.partitions.size() == 2);
    CHECK(layout.partitions[1].number == 2);
    CHECK(layout.partitions[1].start == 55424);
    CHECK(layout.partitions[1].size == 61440);
    CHECK(layout.partitions[1].type == "7");
    CHECK_FALSE(layout.boot_code.has_value());
}

TEST_CASE("SfdiskJson: gpt names, GUIDs and attribute bits are read", "[disk][json]") {
    const Layout layout = parse_layout_json(fixture("gpt-names-attrs.json"));
    REQUIRE(layout.partitions.size() == 2);
    CHECK(layout.partitions[0].name == std::string("Donn\xc3\xa9" "es \"q\" back\\slash \xe2\x82\xac \xf0\x9f\x92\xbe"));
    CHECK(layout.partitions[1].attrs == ((1ull << 2) | (1ull << 60) | (1ull << 62)));
    CHECK(layout.first_lba == 2048u);
    CHECK(layout.last_lba == 40926u);
}

TEST_CASE("SfdiskJson: another spelling of the same document means the same", "[disk][json]") {
    const Layout layout = parse_layout_json(
        R"({"partitiontable":{"label":"dos","id":"7EF7F55D","device":"x","partitions":[{"node":"x1","start":1,"size":2,"type":"0x0C","bootable":true}]}})");
    CHECK(layout.id == "0x7ef7f55d");
    CHECK(layout.partitions[0].type == "c");
    CHECK(layout.partitions[0].bootable);
}

TEST_CASE("SfdiskJson: the boot code extension round-trips", "[disk][json]") {
    Layout layout = parse_layout_json(fixture("win7-mbr.json"));
    layout.boot_code = std::vector<std::uint8_t>(mbr_boot_code_size, 0xA5);
    const std::string text = to_sfdisk_json(layout, true);
    CHECK(text.find(std::string(boot_code_key) + "\": \"a5a5") != std::string::npos);
    CHECK(parse_layout_json(text).boot_code == layout.boot_code);
    CHECK(to_sfdisk_json(layout, false) == fixture("win7-mbr.json"));
}

TEST_CASE("SfdiskJson: partitions listed out of order are ordered by slot", "[disk][json]") {
    const Layout layout = parse_layout_json(
        R"({"partitiontable":{"label":"dos","partitions":[{"node":"x6","start":300,"size":9,"type":"7"},{"node":"x2","start":10,"size":900,"type":"f"},{"node":"x5","start":100,"size":9,"type":"7"}]}})");
    REQUIRE(layout.partitions.size() == 3);
    CHECK(layout.partitions[0].number == 2);
    CHECK(layout.partitions[1].number == 5);
    CHECK(layout.partitions[2].number == 6);
}

TEST_CASE("SfdiskJson: attribute bits without a name print as sfdisk prints them", "[disk][json]") {
    Layout layout = parse_layout_json(fixture("gpt-names-attrs.json"));
    layout.partitions[0].attrs = 1ull << 10;  // reserved bit: sfdisk has no text for it
    CHECK_THAT(to_sfdisk_json(layout), Catch::Contains("\"attrs\": null"));
    const Layout back = parse_layout_json(to_sfdisk_json(layout));
    CHECK(back.partitions[0].attrs == 0);
}

TEST_CASE("SfdiskJson: malformed documents are refused with the problem named", "[disk][json]") {
    CHECK_THAT(error_of("{not json"), Catch::Contains("not JSON"));
    CHECK_THAT(error_of("[]"), Catch::Contains("partitiontable"));
    CHECK_THAT(error_of(R"({"partitiontable": {"id": "0x1"}})"), Catch::Contains("\"label\" is missing"));
    CHECK_THAT(error_of(R"({"partitiontable": {"label": "sun"}})"), Catch::Contains("not supported"));
    CHECK_THAT(error_of(std::string(dos_prefix) + R"({"node": "x1", "size": 5, "type": "7"}]}})"),
               Catch::Contains("partitions[0]: \"start\" is missing"));
    CHECK_THAT(error_of(std::string(dos_prefix) + R"({"node": "x1", "start": -5, "size": 5, "type": "7"}]}})"),
               Catch::Contains("non-negative integer"));
    CHECK_THAT(error_of(std::string(dos_prefix) + R"({"node": "x1", "start": 5, "size": 5, "type": "zz"}]}})"),
               Catch::Contains("unknown partition type 'zz'"));
    CHECK_THAT(error_of(std::string(dos_prefix) + R"({"node": "x1", "start": 5, "size": 5, "type": "7", "name": "a"}]}})"),
               Catch::Contains("only in gpt"));
    CHECK_THAT(error_of(std::string(dos_prefix) + R"({"node": "disk", "start": 5, "size": 5, "type": "7"}]}})"),
               Catch::Contains("does not end in a partition number"));
    CHECK_THAT(error_of(R"({"partitiontable": {"label": "gpt", "id": "not-a-guid"}})"), Catch::Contains("GUID"));
    CHECK_THAT(error_of(R"({"partitiontable": {"label": "gpt", "partitions": [{"start": 2048, "size": 1, "type": "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "uuid": "xyz"}]}})"),
               Catch::Contains("\"uuid\" is not a GUID"));
    CHECK_THAT(error_of(R"({"partitiontable": {"label": "dos", "unit": "bytes"}})"), Catch::Contains("sectors"));
    CHECK_THAT(error_of(std::string(dos_prefix) + R"({"node": "x1", "start": 2048, "size": 18446744073709549569, "type": "7"}]}})"),
               Catch::Contains("larger than any disk"));
    CHECK_THAT(error_of(R"({"partitiontable": {"label": "dos", "x-dagda-bootcode": "00"}})"), Catch::Contains("880 hex"));
}
