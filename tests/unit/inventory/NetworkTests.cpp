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
#include <vector>

#include <nlohmann/json.hpp>

#include "inventory/Network.hpp"

namespace fs = std::filesystem;
using dagda::inventory::NetworkInterface;

using dagda::testing::TempDir;
using dagda::testing::write_file;

namespace {

/// Three interfaces laid out like the kernel does (class/net entries are symlinks into
/// devices/): a physical NIC that is up, a physical NIC that is down with speed -1, and lo.
void build_tree(const fs::path& sys) {
    const fs::path net = sys / "class" / "net";
    fs::create_directories(net);

    const fs::path pci = sys / "devices" / "pci0000:00";
    fs::create_directories(sys / "bus" / "pci" / "drivers" / "e1000e");
    fs::create_directories(sys / "bus" / "pci" / "drivers" / "igb");

    const fs::path eth0_pci = pci / "0000:00:19.0";
    fs::create_directories(eth0_pci);
    fs::create_symlink("../../../bus/pci/drivers/e1000e", eth0_pci / "driver");
    const fs::path eth0 = eth0_pci / "net" / "eth0";
    write_file(eth0 / "address", "52:54:00:12:34:56\n");
    write_file(eth0 / "operstate", "up\n");
    write_file(eth0 / "carrier", "1\n");
    write_file(eth0 / "speed", "1000\n");
    write_file(eth0 / "mtu", "1500\n");
    fs::create_directory_symlink("../../../0000:00:19.0", eth0 / "device");
    fs::create_directory_symlink("../../devices/pci0000:00/0000:00:19.0/net/eth0", net / "eth0");

    const fs::path enp2_pci = pci / "0000:02:00.0";
    fs::create_directories(enp2_pci);
    fs::create_symlink("../../../bus/pci/drivers/igb", enp2_pci / "driver");
    const fs::path enp2 = enp2_pci / "net" / "enp2s0";
    write_file(enp2 / "address", "a0:36:9f:00:00:0b\n");
    write_file(enp2 / "operstate", "down\n");
    write_file(enp2 / "carrier", "0\n");
    write_file(enp2 / "speed", "-1\n");
    write_file(enp2 / "mtu", "9000\n");
    fs::create_directory_symlink("../../../0000:02:00.0", enp2 / "device");
    fs::create_directory_symlink("../../devices/pci0000:00/0000:02:00.0/net/enp2s0", net / "enp2s0");

    const fs::path lo = sys / "devices" / "virtual" / "net" / "lo";
    write_file(lo / "address", "00:00:00:00:00:00\n");
    write_file(lo / "operstate", "unknown\n");
    write_file(lo / "carrier", "1\n");
    write_file(lo / "mtu", "65536\n");
    fs::create_directory_symlink("../../devices/virtual/net/lo", net / "lo");

    write_file(net / "bonding_masters", "\n");  // a plain file the bonding driver adds
}

const NetworkInterface& find_nic(const std::vector<NetworkInterface>& interfaces, const std::string& name) {
    const auto it = std::find_if(interfaces.begin(), interfaces.end(),
                                 [&](const NetworkInterface& nic) { return nic.name == name; });
    REQUIRE(it != interfaces.end());
    return *it;
}

}  // namespace

TEST_CASE("read_network reads a fake sysfs tree, sorted by name", "[inventory][network]") {
    TempDir tmp;
    build_tree(tmp.path());

    const auto interfaces = dagda::inventory::read_network(tmp.path());
    REQUIRE(interfaces.size() == 3);
    CHECK(interfaces[0].name == "enp2s0");
    CHECK(interfaces[1].name == "eth0");
    CHECK(interfaces[2].name == "lo");

    const auto& eth0 = interfaces[1];
    REQUIRE(eth0.mac.has_value());
    CHECK(*eth0.mac == "52:54:00:12:34:56");
    CHECK(eth0.link_state == "up");
    REQUIRE(eth0.carrier.has_value());
    CHECK(*eth0.carrier == true);
    CHECK(eth0.speed_mbps.value_or(0) == 1000u);
    CHECK(eth0.mtu.value_or(0) == 1500u);
    CHECK_FALSE(eth0.is_virtual);
    CHECK(eth0.driver.value_or("<none>") == "e1000e");
}

TEST_CASE("a down link with speed -1 has no speed", "[inventory][network]") {
    TempDir tmp;
    build_tree(tmp.path());
    const auto interfaces = dagda::inventory::read_network(tmp.path());

    const auto& enp2 = find_nic(interfaces, "enp2s0");
    CHECK(enp2.mac.value_or("<none>") == "a0:36:9f:00:00:0b");
    CHECK(enp2.link_state == "down");
    REQUIRE(enp2.carrier.has_value());
    CHECK(*enp2.carrier == false);
    CHECK_FALSE(enp2.speed_mbps.has_value());
    CHECK(enp2.mtu.value_or(0) == 9000u);
    CHECK_FALSE(enp2.is_virtual);
    CHECK(enp2.driver.value_or("<none>") == "igb");
}

TEST_CASE("an unreadable or empty speed and carrier are null", "[inventory][network]") {
    TempDir tmp;
    build_tree(tmp.path());
    // What read_attr sees when the kernel fails the read with EINVAL: no content.
    const fs::path enp2 = tmp.path() / "devices" / "pci0000:00" / "0000:02:00.0" / "net" / "enp2s0";
    write_file(enp2 / "speed", "");
    write_file(enp2 / "carrier", "");
    const auto interfaces = dagda::inventory::read_network(tmp.path());

    const auto& nic = find_nic(interfaces, "enp2s0");
    CHECK_FALSE(nic.speed_mbps.has_value());
    CHECK_FALSE(nic.carrier.has_value());
}

TEST_CASE("loopback and interfaces without a device link are virtual", "[inventory][network]") {
    TempDir tmp;
    build_tree(tmp.path());
    const auto interfaces = dagda::inventory::read_network(tmp.path());

    const auto& lo = find_nic(interfaces, "lo");
    CHECK(lo.is_virtual);
    CHECK_FALSE(lo.driver.has_value());
    CHECK(lo.mac.value_or("<none>") == "00:00:00:00:00:00");
    CHECK(lo.link_state == "unknown");
    CHECK_FALSE(lo.speed_mbps.has_value());  // no speed file at all
    CHECK(lo.mtu.value_or(0) == 65536u);
}

TEST_CASE("network interface JSON uses snake_case keys and null for unknowns", "[inventory][network]") {
    TempDir tmp;
    build_tree(tmp.path());
    const auto interfaces = dagda::inventory::read_network(tmp.path());

    const nlohmann::json enp2 = find_nic(interfaces, "enp2s0");
    CHECK(enp2.at("name") == "enp2s0");
    CHECK(enp2.at("mac") == "a0:36:9f:00:00:0b");
    CHECK(enp2.at("link_state") == "down");
    CHECK(enp2.at("carrier") == false);
    CHECK(enp2.at("speed_mbps").is_null());
    CHECK(enp2.at("mtu") == 9000);
    CHECK(enp2.at("virtual") == false);
    CHECK(enp2.at("driver") == "igb");

    const nlohmann::json eth0 = find_nic(interfaces, "eth0");
    CHECK(eth0.at("speed_mbps") == 1000);

    const nlohmann::json lo = find_nic(interfaces, "lo");
    CHECK(lo.at("virtual") == true);
    CHECK(lo.at("driver").is_null());
}

TEST_CASE("read_network of a tree without class/net is empty", "[inventory][network]") {
    TempDir tmp;
    CHECK(dagda::inventory::read_network(tmp.path()).empty());
}

TEST_CASE("read_network on this machine's /sys lists lo as virtual", "[inventory][network][host]") {
    const auto interfaces = dagda::inventory::read_network("/sys");
    const auto& lo = find_nic(interfaces, "lo");
    CHECK(lo.is_virtual);
    CHECK(lo.mtu.has_value());
    CHECK(std::is_sorted(interfaces.begin(), interfaces.end(),
                         [](const NetworkInterface& a, const NetworkInterface& b) { return a.name < b.name; }));
}
