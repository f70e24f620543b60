// The helper VM's settings CD, read back by tools that are not libisofs: blkid for the label
// /init looks for, xorriso for the files under their Rock Ridge (lower-case) names. That /init
// reads it inside a booted helper is hypervisor_tests' part.

#include "common/TempDir.hpp"
#include "core/Subprocess.hpp"
#include "hypervisor/SettingsDisc.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

using namespace dagda;
using dagda::testing::TempDir;

TEST_CASE("SettingsDisc: the settings CD is labelled DAGDA-SETTINGS and holds dagda/cmdline, dagda/ca.pem and the drivers folder", "[hypervisor]") {
    TempDir dir;
    const std::string disc = dir.file("settings.iso");
    const std::string words = "dagda.controller=wss://10.0.2.2:8443 dagda.pin=abc dagda.enrolment=helper-local dagda.token=0123";
    const std::string ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    std::filesystem::create_directories(dir.file("drivers/viostor/amd64"));
    std::ofstream(dir.file("drivers/viostor/amd64/viostor.inf")) << "[Version]\n";
    hypervisor::write_settings_disc(disc, {words, ca, dir.file("drivers")});

    struct stat status {};
    REQUIRE(::stat(disc.c_str(), &status) == 0);
    CHECK((status.st_mode & 0777) == 0600);  // it holds the helper's token
    CHECK(status.st_size % 2048 == 0);

    const ProgramResult label = run_program({"blkid", "-p", "-o", "value", "-s", "LABEL", disc});
    CHECK(label.out == "DAGDA-SETTINGS\n");
    const ProgramResult type = run_program({"blkid", "-p", "-o", "value", "-s", "TYPE", disc});
    CHECK(type.out == "iso9660\n");

    const ProgramResult extracted = run_program({"xorriso", "-osirrox", "on", "-indev", disc, "-extract", "/dagda", dir.file("out")});
    INFO(extracted.err);
    REQUIRE(extracted.exit_code == 0);
    CHECK(testing::file_bytes(dir.file("out/cmdline")) == words + "\n");
    CHECK(testing::file_bytes(dir.file("out/ca.pem")) == ca);
    CHECK(testing::file_bytes(dir.file("out/drivers/viostor/amd64/viostor.inf")) == "[Version]\n");  // the folder whole, names as they are

    // Made again (a new token): the old disc is replaced whole.
    hypervisor::write_settings_disc(disc, {"dagda.token=other", "", ""});
    const ProgramResult again = run_program({"xorriso", "-osirrox", "on", "-indev", disc, "-extract", "/dagda", dir.file("again")});
    REQUIRE(again.exit_code == 0);
    CHECK(testing::file_bytes(dir.file("again/cmdline")) == "dagda.token=other\n");
    CHECK_FALSE(std::filesystem::exists(dir.file("again/ca.pem")));
    CHECK_FALSE(std::filesystem::exists(dir.file("again/drivers")));
}
