// dagda windows info and set-identity through the real binary, checked with hivexget.

#include "common/Run.hpp"
#include "common/TempDir.hpp"
#include "common/WindowsVolume.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace dagda::testing;

namespace {

// A NIC with a static address and one already on DHCP, in the phony Windows 7 SYSTEM hive.
const char* nics =
    "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\Tcpip\\Parameters\\Interfaces]\n\n"
    "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\Tcpip\\Parameters\\Interfaces\\{0a1b2c3d-1111-2222-3333-444455556666}]\n"
    "\"EnableDHCP\"=dword:00000000\n"
    "\"IPAddress\"=hex(7):31,00,30,00,2e,00,30,00,2e,00,30,00,2e,00,35,00,00,00,00,00\n"
    "\"SubnetMask\"=hex(7):32,00,35,00,35,00,2e,00,30,00,2e,00,30,00,2e,00,30,00,00,00,00,00\n"
    "\"DefaultGateway\"=hex(7):31,00,30,00,2e,00,30,00,2e,00,30,00,2e,00,31,00,00,00,00,00\n"
    "\"NameServer\"=\"10.0.0.2\"\n\n"
    "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\Tcpip\\Parameters\\Interfaces\\{9f8e7d6c-1111-2222-3333-444455556666}]\n"
    "\"EnableDHCP\"=dword:00000001\n\n";

std::string volume_with_nics(const TempDir& dir) {
    WindowsVolumeSpec spec;
    spec.system_hive = make_hive(dir, "SYSTEM-nics", windows7_system_hive(dir), "HKEY_LOCAL_MACHINE\\SYSTEM", nics);
    spec.software_hive = windows7_software_hive(dir);
    return make_windows_volume(dir, "win7.raw", spec);
}

std::string hivexget(const std::string& hive, const std::string& key, const std::string& value = "") {
    const auto result = run("hivexget " + sh_quote(hive) + " " + sh_quote(key) + (value.empty() ? "" : " " + sh_quote(value)));
    REQUIRE(result.exit_code == 0);
    return result.out;
}

}  // namespace

TEST_CASE("windows info: version, architecture and control sets of an offline volume", "[windows][integration]") {
    TempDir dir;
    if (!windows_tools_present(dir)) FAIL("missing: hivexregedit, mkntfs or ../shared/fixtures");
    const std::string volume = volume_with_nics(dir);
    const RunResult text = run(dagda_command() + " windows info " + sh_quote(volume));
    INFO(text.err);
    REQUIRE(text.exit_code == 0);
    CHECK_THAT(text.out, Catch::Contains("Microsoft Windows 7 Phony Edition (6.1 build 7601, amd64)") &&
                             Catch::Contains("CriticalDeviceDatabase"));
    const auto info = nlohmann::json::parse(run(dagda_command() + " windows info --json " + sh_quote(volume)).out);
    CHECK(info["architecture"] == "amd64");
    CHECK(info["control_sets"] == nlohmann::json::array({1, 2}));
    CHECK(info["volume"]["dirty"] == false);
    CHECK(run(dagda_command() + " windows info " + sh_quote(dir.file("SYSTEM-nics"))).exit_code == 1);  // a hive is not a volume
}

TEST_CASE("windows set-identity: a new name and DHCP for static NICs, offline", "[windows][integration]") {
    TempDir dir;
    if (!windows_tools_present(dir) || !have_program("ntfscat")) FAIL("missing: hivexregedit, mkntfs, ntfscat or ../shared/fixtures");
    const std::string volume = volume_with_nics(dir);
    const std::string command = dagda_command() + " windows set-identity " + sh_quote(volume);
    const std::string before = file_digest(volume);
    CHECK(run(command + " --computer-name 'bad name' --yes").exit_code == 2);
    CHECK(run(command + " --computer-name waytoolongforanetbiosname --yes").exit_code == 2);
    CHECK(run(command + " --computer-name Recovered-01").exit_code == 3);  // an image file needs --yes
    const RunResult dry = run(command + " --computer-name Recovered-01 --dhcp-all-nics --dry-run");
    CHECK(dry.exit_code == 0);
    CHECK_THAT(dry.out, Catch::Contains("Hostname = REG_SZ \"Recovered-01\" (was REG_SZ \"windows.invalid\")"));
    CHECK(file_digest(volume) == before);

    const RunResult done = run(command + " --computer-name Recovered-01 --dhcp-all-nics --yes");
    INFO(done.out << done.err);
    REQUIRE(done.exit_code == 0);
    const std::string hive = dir.file("SYSTEM-after");
    REQUIRE(run("ntfscat " + sh_quote(volume) + " /Windows/System32/config/SYSTEM > " + sh_quote(hive)).exit_code == 0);
    for (const std::string set : {"ControlSet001", "ControlSet002"}) {
        CHECK(hivexget(hive, "\\" + set + "\\Control\\ComputerName\\ComputerName", "ComputerName") == "RECOVERED-01\n");
        CHECK(hivexget(hive, "\\" + set + "\\Services\\Tcpip\\Parameters", "Hostname") == "Recovered-01\n");
        CHECK(hivexget(hive, "\\" + set + "\\Services\\Tcpip\\Parameters", "NV Hostname") == "Recovered-01\n");
    }
    const std::string nic = hivexget(hive, "\\ControlSet001\\Services\\Tcpip\\Parameters\\Interfaces\\{0a1b2c3d-1111-2222-3333-444455556666}");
    CHECK(nic == "\"EnableDHCP\"=dword:00000001\n\"NameServer\"=\"\"\n");
    CHECK(hivexget(hive, "\\ControlSet001\\Services\\Tcpip\\Parameters\\Interfaces\\{9f8e7d6c-1111-2222-3333-444455556666}") ==
          "\"EnableDHCP\"=dword:00000001\n");
    CHECK(run("ntfsfix -n " + sh_quote(volume)).exit_code == 0);
}
