#include <catch2/catch.hpp>

#include "common/TempDir.hpp"

#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

#include <nlohmann/json.hpp>

#include "inventory/Machine.hpp"

namespace fs = std::filesystem;
using dagda::inventory::FirmwareMode;

using dagda::testing::TempDir;
using dagda::testing::write_file;

namespace {

// Trimmed from a real x86 /proc/cpuinfo: three CPUs, and a "processors"-like key that must not count.
const char* const cpuinfo_x86 =
    "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: QEMU Virtual CPU\n\n"
    "processor\t: 1\nvendor_id\t: GenuineIntel\n\n"
    "processor\t: 2\nvendor_id\t: GenuineIntel\nprocessors_total\t: 99\n";

const char* const meminfo_2gib =
    "MemTotal:        2097152 kB\nMemFree:          123456 kB\nMemAvailable:     654321 kB\n";

}  // namespace

TEST_CASE("read_machine reads a fake UEFI machine", "[inventory][machine]") {
    TempDir tmp;
    const fs::path sys = tmp.path() / "sys";
    const fs::path proc = tmp.path() / "proc";
    fs::create_directories(sys / "firmware" / "efi");
    write_file(proc / "cpuinfo", cpuinfo_x86);
    write_file(proc / "meminfo", meminfo_2gib);

    const auto machine = dagda::inventory::read_machine(sys, proc);
    CHECK(machine.firmware == FirmwareMode::uefi);
    CHECK(machine.cpu_count == 3);
    CHECK(machine.memory_bytes.value_or(0) == 2097152ULL * 1024);
    CHECK_FALSE(machine.hostname.empty());
    CHECK_FALSE(machine.kernel_release.empty());
}

TEST_CASE("read_machine falls back when the files are missing", "[inventory][machine]") {
    TempDir tmp;
    const fs::path sys = tmp.path() / "sys";
    const fs::path proc = tmp.path() / "proc";
    fs::create_directories(sys / "firmware" / "acpi");
    fs::create_directories(proc);

    const auto machine = dagda::inventory::read_machine(sys, proc);
    CHECK(machine.firmware == FirmwareMode::bios);
    CHECK(machine.cpu_count == std::max(1u, std::thread::hardware_concurrency()));
    CHECK_FALSE(machine.memory_bytes.has_value());
}

TEST_CASE("count_processors and read_mem_total parse their files", "[inventory][machine]") {
    TempDir tmp;
    SECTION("arm64 cpuinfo words it the same way") {
        write_file(tmp.path() / "cpuinfo", "processor\t: 0\nBogoMIPS\t: 50.00\n\nprocessor\t: 1\nBogoMIPS\t: 50.00\n");
        CHECK(dagda::inventory::count_processors(tmp.path() / "cpuinfo").value_or(0) == 2);
    }
    SECTION("a cpuinfo without processor lines gives nothing") {
        write_file(tmp.path() / "cpuinfo", "vendor_id\t: IBM/S390\n# processors    : 4\n");
        CHECK_FALSE(dagda::inventory::count_processors(tmp.path() / "cpuinfo").has_value());
    }
    SECTION("MemTotal in another unit is rejected rather than misread") {
        write_file(tmp.path() / "meminfo", "MemTotal:        2048 MB\n");
        CHECK_FALSE(dagda::inventory::read_mem_total(tmp.path() / "meminfo").has_value());
    }
    SECTION("MemTotal need not be the first line") {
        write_file(tmp.path() / "meminfo", "MemFree: 1 kB\nMemTotal: 4 kB\n");
        CHECK(dagda::inventory::read_mem_total(tmp.path() / "meminfo").value_or(0) == 4096);
    }
}

TEST_CASE("machine JSON uses snake_case keys", "[inventory][machine]") {
    dagda::inventory::Machine machine;
    machine.firmware = FirmwareMode::uefi;
    machine.cpu_count = 8;
    machine.memory_bytes = 17179869184ULL;
    machine.hostname = "rescue-01";
    machine.kernel_release = "6.1.0-18-amd64";

    const nlohmann::json json = machine;
    CHECK(json.at("firmware") == "uefi");
    CHECK(json.at("cpu_count") == 8);
    CHECK(json.at("memory_bytes") == 17179869184ULL);
    CHECK(json.at("hostname") == "rescue-01");
    CHECK(json.at("kernel_release") == "6.1.0-18-amd64");

    machine.firmware = FirmwareMode::bios;
    machine.memory_bytes.reset();
    const nlohmann::json bios = machine;
    CHECK(bios.at("firmware") == "bios");
    CHECK(bios.at("memory_bytes").is_null());
}

TEST_CASE("read_machine on this machine's /sys and /proc", "[inventory][machine][host]") {
    const auto machine = dagda::inventory::read_machine();
    CHECK(machine.cpu_count >= 1);
    REQUIRE(machine.memory_bytes.has_value());
    CHECK(*machine.memory_bytes > 0);
    CHECK(machine.memory_bytes.value() % 1024 == 0);
    CHECK((machine.firmware == FirmwareMode::uefi) == fs::exists("/sys/firmware/efi"));
    CHECK_FALSE(machine.hostname.empty());
    CHECK_FALSE(machine.kernel_release.empty());
}
