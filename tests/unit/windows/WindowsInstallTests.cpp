// Detecting the Windows of an offline volume, on synthetic volumes holding real and phony hives.

#include "core/Error.hpp"
#include "core/UniqueFd.hpp"
#include "windows/ntfs/NtfsVolume.hpp"
#include "windows/system/WindowsInstall.hpp"

#include "common/TempDir.hpp"
#include "common/WindowsVolume.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <nlohmann/json.hpp>

using namespace dagda;
using namespace dagda::windows;
using dagda::testing::TempDir;

namespace {

system::WindowsInstall inspect(const std::string& image, std::uint64_t size) {
    const UniqueFd fd = UniqueFd::open(image, O_RDONLY);
    const ntfs::NtfsVolume volume(fd.get(), 0, size, image, ntfs::Access::read_only);
    return system::inspect_windows(volume);
}

}  // namespace

TEST_CASE("WindowsInstall: a Windows 7 volume with phony hives", "[windows][detect]") {
    TempDir dir;
    if (!testing::windows_tools_present(dir)) FAIL("missing: hivexregedit, mkntfs or ../shared/fixtures is");
    testing::WindowsVolumeSpec spec;
    spec.system_hive = testing::windows7_system_hive(dir);
    spec.software_hive = testing::windows7_software_hive(dir);
    spec.system_root = "WINDOWS";
    const std::string image = testing::make_windows_volume(dir, "win7.raw", spec);
    const system::WindowsInstall install = inspect(image, spec.size);
    CHECK(install.system_root == "/WINDOWS");
    CHECK(install.product_name == "Microsoft Windows 7 Phony Edition");
    CHECK(install.major == 6);
    CHECK(install.minor == 1);
    CHECK(install.build == 7601);
    CHECK(install.installation_type == "Client");
    CHECK_FALSE(install.server());
    CHECK(install.architecture == "amd64");
    CHECK(install.current_control_set == 1);
    CHECK(install.control_sets == std::vector<unsigned>{1, 2});  // Current/Default 1, LastKnownGood 2
    CHECK_FALSE(install.driver_database);
    CHECK(install.critical_device_database);
    CHECK(install.warnings.empty());
    CHECK(install.describe() == "Microsoft Windows 7 Phony Edition (6.1 build 7601, amd64)");
}

TEST_CASE("WindowsInstall: the real Windows 8.1 SYSTEM hive is found dirty and read", "[windows][detect]") {
    TempDir dir;
    if (!testing::windows_tools_present(dir)) FAIL("missing: hivexregedit, mkntfs or ../shared/fixtures is");
    testing::WindowsVolumeSpec spec;
    spec.system_hive = testing::windows81_system_hive(dir);
    spec.software_hive = testing::windows2012r2_software_hive(dir);
    spec.size = 96ull << 20;
    const system::WindowsInstall install = inspect(testing::make_windows_volume(dir, "w2012r2.raw", spec), spec.size);
    CHECK(install.system_root == "/Windows");
    CHECK(install.major == 6);
    CHECK(install.minor == 3);
    CHECK(install.build == 9600);
    CHECK(install.server());
    CHECK(install.edition_id == "ServerStandard");
    CHECK(install.architecture == "amd64");
    CHECK(install.control_sets == std::vector<unsigned>{1});
    CHECK(install.driver_database);
    CHECK_FALSE(install.critical_device_database);
    REQUIRE(install.warnings.size() == 1);
    CHECK_THAT(install.warnings.front(), Catch::Contains("dirty") && Catch::Contains("205"));
    CHECK(install.to_json()["version"]["build"] == 9600);
}

TEST_CASE("WindowsInstall: missing system root and damaged hives are refused with the reason", "[windows][detect]") {
    TempDir dir;
    if (!testing::windows_tools_present(dir)) FAIL("missing: hivexregedit, mkntfs or ../shared/fixtures is");
    testing::WindowsVolumeSpec empty;
    CHECK_THROWS_WITH(inspect(testing::make_windows_volume(dir, "empty.raw", empty), empty.size),
                      Catch::Contains("no Windows on this volume"));

    testing::WindowsVolumeSpec truncated;
    truncated.software_hive = testing::windows7_software_hive(dir);
    truncated.files = {{"/Windows/System32/config/SYSTEM", std::string("regf") + std::string(100, '\0')}};
    CHECK_THROWS_WITH(inspect(testing::make_windows_volume(dir, "truncated.raw", truncated), truncated.size),
                      Catch::Contains("SYSTEM") && Catch::Contains("shorter than a hive"));

    testing::WindowsVolumeSpec no_software;
    no_software.system_hive = testing::windows7_system_hive(dir);
    CHECK_THROWS_WITH(inspect(testing::make_windows_volume(dir, "nosoftware.raw", no_software), no_software.size),
                      Catch::Contains("SOFTWARE hive") && Catch::Contains("does not exist"));
}
