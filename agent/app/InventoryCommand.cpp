// dagda inventory: what an operator and the controller need to pick targets and drivers.

#include "app/Commands.hpp"
#include "app/MachineInventory.hpp"
#include "core/Error.hpp"
#include "core/Units.hpp"
#include "disk/DiskReport.hpp"
#include "inventory/Machine.hpp"
#include "inventory/Network.hpp"
#include "inventory/Pci.hpp"

#include <nlohmann/json.hpp>

#include <iostream>

namespace dagda::app {

namespace po = boost::program_options;
using nlohmann::json;

namespace {

// Disks the user named must all be readable; disks found by listing are reported even when one
// of them cannot be read, so one dead disk does not hide the others.
json collect_disks(const std::vector<std::string>& named) {
    json disks = json::array();
    if (!named.empty()) {
        for (const auto& path : named) disks.push_back(disk::disk_report(path));
        return disks;
    }
    for (const auto& path : disk::list_disks()) {
        try {
            disks.push_back(disk::disk_report(path));
        } catch (const Error& e) {
            disks.push_back({{"path", path}, {"error", e.what()}});
        }
    }
    return disks;
}

void print_text(const json& inv) {
    const json& m = inv["machine"];
    std::cout << "Machine: " << m["hostname"].get<std::string>() << ", " << m["firmware"].get<std::string>()
              << " firmware, " << m["cpu_count"].get<unsigned>() << " CPUs, "
              << (m["memory_bytes"].is_null() ? std::string("memory unknown")
                                              : human_bytes(m["memory_bytes"].get<std::uint64_t>()) + " memory")
              << ", kernel " << m["kernel_release"].get<std::string>() << "\n\nDisks:\n";
    for (const auto& d : inv["disks"]) {
        if (d.contains("error")) std::cout << d["path"].get<std::string>() << ": " << d["error"].get<std::string>() << "\n";
        else std::cout << disk::disk_report_text(d);
    }
    std::cout << "\nPCI devices:\n";
    for (const auto& p : inv["pci"]) {
        // The most specific hardware ID and the class-code ID: what driver matching uses.
        const std::string hardware = p["hardware_ids"].empty() ? "-" : p["hardware_ids"].front().get<std::string>();
        const std::string by_class = p["compatible_ids"].size() < 2 ? "-" : p["compatible_ids"][p["compatible_ids"].size() - 2].get<std::string>();
        std::cout << "  " << p["address"].get<std::string>() << "  " << hardware << "  " << by_class << "  driver "
                  << (p["driver"].is_null() ? "-" : p["driver"].get<std::string>()) << "\n";
    }
    std::cout << "\nNetwork interfaces:\n";
    for (const auto& n : inv["network"])
        std::cout << "  " << n["name"].get<std::string>() << "  " << (n["mac"].is_null() ? "-" : n["mac"].get<std::string>())
                  << "  " << n["link_state"].get<std::string>() << "  "
                  << (n["speed_mbps"].is_null() ? "-" : std::to_string(n["speed_mbps"].get<std::uint64_t>()) + " Mb/s")
                  << "\n";
}

}  // namespace

json machine_inventory(const std::vector<std::string>& disks) {
    return {{"machine", inventory::read_machine()}, {"disks", collect_disks(disks)}, {"pci", inventory::read_pci()}, {"network", inventory::read_network()}};
}

int run_inventory(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("json", "print JSON")(
        "disk", po::value<std::vector<std::string>>()->composing(),
        "report only this disk (block device or image file); repeatable");
    const auto vm = parse_args(args, {"inventory"}, options, {});
    if (!vm) return 0;
    const auto named = vm->count("disk") ? (*vm)["disk"].as<std::vector<std::string>>() : std::vector<std::string>{};
    const json inventory = machine_inventory(named);
    if (vm->count("json")) std::cout << inventory.dump(2) << "\n";
    else print_text(inventory);
    return 0;
}

}  // namespace dagda::app
