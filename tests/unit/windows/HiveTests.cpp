// The registry layer on real hives (hivex's minimal hive, the real Windows 8.1 SYSTEM hive),
// checked with hivexget, a tool this project did not write.
#include "windows/registry/Hive.hpp"
#include "windows/registry/HiveHeader.hpp"

#include "common/Run.hpp"
#include "common/TempDir.hpp"
#include "core/Error.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

using namespace dagda::windows::registry;
namespace testing = dagda::testing;

namespace {

std::vector<std::uint8_t> read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string hivexget(const std::string& hive, const std::string& key, const std::string& value) {
    const auto result = testing::run("hivexget " + testing::sh_quote(hive) + " " + testing::sh_quote(key) + " " +
                                     testing::sh_quote(value));
    REQUIRE(result.exit_code == 0);
    std::string out = result.out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

}  // namespace

TEST_CASE("Hive: keys and typed values written with hivex read back with hivexget", "[windows][registry]") {
    testing::TempDir dir;
    const std::string minimal = testing::shared_fixture(dir, "hives/minimal-hive");
    const std::string edited = dir.file("edited");
    {
        Hive hive(minimal, "minimal", true);
        const KeyId service = hive.ensure(hive.root(), "ControlSet001\\Services\\viostor");
        CHECK(hive.ensure(hive.root(), "controlset001\\SERVICES\\VioStor") == service);  // case-insensitive
        hive.set_value(service, "Type", RegistryValue::dword(1));
        hive.set_value(service, "Start", RegistryValue::dword(3));
        hive.set_value(service, "Start", RegistryValue::dword(0));  // replaces
        hive.set_value(service, "Group", RegistryValue::sz("SCSI miniport"));
        hive.set_value(service, "ImagePath", RegistryValue::expand_sz("system32\\drivers\\viostor.sys"));
        hive.set_value(service, "Owners", RegistryValue::multi_sz({"viostor.inf", "oem3.inf"}));
        hive.set_value(service, "Version", RegistryValue::binary({0x00, 0xff, 0x09, 0x00}));
        hive.set_value(service, "Big", RegistryValue::qword(0x1122334455667788ull));
        hive.set_value(service, "StartOverride", RegistryValue::dword(3));
        CHECK(hive.delete_value(service, "startoverride"));
        CHECK_FALSE(hive.delete_value(service, "StartOverride"));
        hive.ensure(hive.root(), "ControlSet001\\Doomed\\Child");
        hive.delete_key(*hive.find("ControlSet001\\Doomed"));
        CHECK_FALSE(hive.find("ControlSet001\\Doomed"));
        CHECK(hive.key_path(service) == "ControlSet001\\Services\\viostor");
        CHECK_THROWS_AS(hive.delete_key(hive.root()), dagda::Error);
        CHECK_THROWS_AS(RegistryValue::multi_sz({"a", ""}), dagda::Error);
        hive.commit(edited);
    }
    const std::string key = "\\ControlSet001\\Services\\viostor";
    CHECK(hivexget(edited, key, "Type") == "1");
    CHECK(hivexget(edited, key, "Start") == "0");
    CHECK(hivexget(edited, key, "Group") == "SCSI miniport");
    CHECK(hivexget(edited, key, "ImagePath") == "system32\\drivers\\viostor.sys");
    CHECK(hivexget(edited, key, "Owners") == "viostor.inf\noem3.inf");
    CHECK(testing::run("hivexget " + edited + " '" + key + "' StartOverride").exit_code != 0);

    Hive reread(edited, "edited", false);
    const KeyId service = *reread.find("CONTROLSET001\\services\\VIOSTOR");
    CHECK(reread.value(service, "Start")->number() == 0u);
    CHECK(reread.value(service, "Owners")->texts() == std::vector<std::string>{"viostor.inf", "oem3.inf"});
    CHECK(reread.value(service, "ImagePath")->text() == "system32\\drivers\\viostor.sys");
    CHECK(reread.value(service, "Version")->data == std::vector<std::uint8_t>{0x00, 0xff, 0x09, 0x00});
    CHECK(reread.value(service, "Big")->number64() == 0x1122334455667788ull);
    CHECK(reread.value(service, "Start")->describe() == "REG_DWORD 0x00000000 (0)");
    CHECK(reread.values(service).size() == 7);
    CHECK_FALSE(reread.find("ControlSet001\\Doomed"));
    // The committed hive is clean.
    CHECK_FALSE(parse_hive_header(read_all(edited), "edited").dirty());
}

TEST_CASE("Hive: the real Windows 8.1 SYSTEM hive is dirty without logs, so it is edited with a warning",
          "[windows][registry]") {
    testing::TempDir dir;
    const std::string system = testing::shared_fixture(dir, "hives/win81-x64-SYSTEM.xz");
    const HiveHeader header = parse_hive_header(read_all(system), "SYSTEM");
    CHECK(header.dirty());
    CHECK(header.primary_sequence == 205);
    CHECK(header.secondary_sequence == 204);
    const HiveVerdict without_logs = judge_hive(header, {}, "SYSTEM");
    CHECK_FALSE(without_logs.refuse);
    CHECK_THAT(without_logs.message, Catch::Contains("dirty"));
    CHECK_FALSE(judge_hive(header, {{"SYSTEM.LOG1", 0}, {"SYSTEM.LOG2", 0}}, "SYSTEM").refuse);
    const HiveVerdict with_logs = judge_hive(header, {{"SYSTEM.LOG1", 0}, {"SYSTEM.LOG2", 65536}}, "SYSTEM");
    CHECK(with_logs.refuse);
    CHECK_THAT(with_logs.message, Catch::Contains("SYSTEM.LOG2 (65536 bytes)"));

    Hive hive(system, "SYSTEM", false);
    CHECK(hive.find("DriverDatabase"));
    CHECK(hive.value(*hive.find("Select"), "Current")->number() == 1u);
}

TEST_CASE("Hive: a damaged or truncated hive is refused with the reason", "[windows][registry]") {
    testing::TempDir dir;
    const std::string minimal = testing::shared_fixture(dir, "hives/minimal-hive");
    const std::vector<std::uint8_t> good = read_all(minimal);
    CHECK_NOTHROW(parse_hive_header(good, "minimal"));

    std::vector<std::uint8_t> flipped = good;
    flipped[0x30] ^= 0x40;  // inside the header: the checksum no longer matches
    CHECK_THROWS_WITH(parse_hive_header(flipped, "SYSTEM"), Catch::Contains("SYSTEM") && Catch::Contains("checksum"));

    std::vector<std::uint8_t> truncated(good.begin(), good.begin() + 6000);
    CHECK_THROWS_WITH(parse_hive_header(truncated, "SYSTEM"), Catch::Contains("truncated"));
    CHECK_THROWS_WITH(parse_hive_header({good.begin(), good.begin() + 100}, "SYSTEM"), Catch::Contains("shorter"));

    std::vector<std::uint8_t> not_regf = good;
    not_regf[0] = 'X';
    CHECK_THROWS_WITH(parse_hive_header(not_regf, "SYSTEM"), Catch::Contains("regf"));

    // hivex itself refuses a hive whose header was damaged.
    const std::string damaged = dir.file("damaged");
    std::ofstream(damaged, std::ios::binary).write(reinterpret_cast<const char*>(flipped.data()), static_cast<std::streamsize>(flipped.size()));
    CHECK_THROWS_WITH(Hive(damaged, "SYSTEM of the test volume", false), Catch::Contains("SYSTEM of the test volume"));
}
