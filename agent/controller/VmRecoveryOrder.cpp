#include "controller/VmRecoveryOrder.hpp"

#include "core/Error.hpp"
#include "core/Units.hpp"
#include "hypervisor/DomainXml.hpp"
#include "protocol/Proof.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace dagda::controller {

using nlohmann::json;

namespace {

[[noreturn]] void refuse(const std::string& why) { throw Error(ErrorKind::usage, why); }

std::string text(const json& object, const char* key, const std::string& otherwise) {
    if (!object.contains(key)) return otherwise;
    if (!object[key].is_string() || object[key].get<std::string>().empty()) refuse(std::string("\"") + key + "\" is a non-empty string");
    return object[key].get<std::string>();
}

std::uint64_t number(const json& object, const char* key, std::uint64_t otherwise, std::uint64_t least, std::uint64_t most) {
    if (!object.contains(key)) return otherwise;
    if (!object[key].is_number_unsigned() || object[key].get<std::uint64_t>() < least || object[key].get<std::uint64_t>() > most)
        refuse(std::string("\"") + key + "\" is a whole number from " + std::to_string(least) + " to " + std::to_string(most));
    return object[key].get<std::uint64_t>();
}

void refuse_unknown(const json& object, std::initializer_list<const char*> known, const std::string& what) {
    for (const auto& item : object.items()) {
        bool found = false;
        for (const char* key : known) found = found || item.key() == key;
        if (!found) refuse(what + " has an unknown key \"" + item.key() + "\"");
    }
}

}  // namespace

std::string inoculation_target(const std::string& bus, const std::string& scsi_model) {
    if (bus == "sata") return "ahci";
    if (bus == "ide") return "ide";
    if (bus == "virtio") return "virtio-blk";
    if (bus == "scsi" && scsi_model == "virtio-scsi") return "virtio-scsi";
    if (bus == "scsi" && scsi_model == "lsisas1068") return "vmware-lsisas";
    if (bus == "scsi" && scsi_model == "lsilogic") return "vmware-lsilogic";
    if (bus == "scsi" && scsi_model == "vmpvscsi") return "vmware-pvscsi";
    refuse("the driver catalog has no Windows boot driver for a " + bus + (scsi_model.empty() ? "" : " " + scsi_model) + " disk");
}

json vm_recovery_order(const json& request, const recovery::ServerSummary& server, const HypervisorRecord& hypervisor, const std::string& archives,
                       bool helper_available) {
    refuse_unknown(request, {"server", "generation", "to"}, "a recovery");
    if (!request.contains("to") || !request["to"].is_object() || !request["to"].contains("vm") || !request["to"]["vm"].is_object())
        refuse("a recovery needs \"to\": {\"vm\": {…}}");
    const json& vm = request["to"]["vm"];
    refuse_unknown(vm, {"hypervisor", "name", "cpus", "memory_mib", "firmware", "bus", "scsi_model", "nic", "network", "disk_bytes", "drivers", "direct",
                        "computer_name", "start", "isolated"},
                   "\"vm\"");
    const hypervisor::Flavour flavour = hypervisor::flavour_of(hypervisor.uri);
    const bool esx = flavour == hypervisor::Flavour::esx;
    if (server.generations == 0) refuse("the server \"" + server.name + "\" has no whole generation to recover (a chain is broken)");
    const unsigned generation = static_cast<unsigned>(number(request, "generation", server.generations, 1, server.generations));

    // The new VM's profile: firmware from the first disk's table, a bus and NIC its Windows has
    // in-box drivers for unless told otherwise (SATA/AHCI on QEMU, LSI SAS on ESX).
    json profile{{"name", text(vm, "name", "")}};
    if (profile["name"] == "") refuse("\"vm\" needs a \"name\" for the new VM");
    // CPUs and memory: given, else the source machine's when its backup records them, else 2 and 4 GiB.
    const recovery::ChainSummary& first = server.chains.front();
    profile["cpus"] = number(vm, "cpus", first.cpus > 0 ? first.cpus : 2, 1, 128);
    profile["memory_mib"] = number(vm, "memory_mib", first.memory_mib >= 256 ? first.memory_mib : 4096, 256, 4u << 20);
    const std::string table = server.chains.front().table;
    profile["firmware"] = text(vm, "firmware", table == "gpt" ? "uefi" : "bios");
    hypervisor::firmware_named(profile["firmware"]);
    profile["disk_bus"] = text(vm, "bus", esx ? "scsi" : "sata");
    profile["scsi_model"] = profile["disk_bus"] == "scsi" ? text(vm, "scsi_model", esx ? "lsisas1068" : "virtio-scsi") : "";
    profile["nic_model"] = text(vm, "nic", esx ? "e1000e" : "e1000e");
    profile["network"] = text(vm, "network", hypervisor.network.empty() ? std::string("user") : hypervisor.network);
    const std::string target = inoculation_target(profile["disk_bus"], profile["scsi_model"]);
    // A test copy: renamed (and its NICs on DHCP) so it can run beside the original, with no
    // network at all when isolated; started only then. A copy under the original's name and
    // addresses is left off for a person to start.
    const auto flag = [&](const char* key) {
        if (vm.contains(key) && !vm[key].is_boolean()) refuse(std::string("\"") + key + "\" is true or false");
        return vm.contains(key) && vm[key].get<bool>();
    };
    const bool start = flag("start"), isolated = flag("isolated");
    const std::string computer_name = text(vm, "computer_name", "");
    if (!computer_name.empty() && (computer_name.size() > 15 || !std::all_of(computer_name.begin(), computer_name.end(), [](char c) {
                                       return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
                                   })))
        refuse("a computer name is 1 to 15 letters, digits or '-', not \"" + computer_name + "\"");
    if (start && (!isolated || computer_name.empty()))
        refuse("a new VM is started only as an isolated, renamed test copy (\"start\" with \"isolated\" and \"computer_name\"); otherwise it is "
               "left off for a person to start");
    profile["isolated"] = isolated;
    if (isolated) profile["nic_model"] = "";
    const bool direct = vm.contains("direct") && vm["direct"].is_boolean() && vm["direct"].get<bool>();
    if (vm.contains("direct") && !vm["direct"].is_boolean()) refuse("\"direct\" is true or false");
    if (direct && esx) refuse("direct mode needs volumes the controller can open: a local dir pool of qemu:///system, not " + hypervisor.uri);
    if (!direct && !helper_available)
        refuse("this controller has no live ISO for a helper VM (start it with --helper-iso); or ask for direct mode (\"direct\": true)");
    // libvirt's ESX driver sets no disk serials, which the helper's plan finds its disks by, and uploads no volume.
    if (!direct && esx)
        refuse("no helper VM on " + hypervisor.uri + ": libvirt's ESX driver sets no disk serial (the helper finds its disks by them) and uploads no "
               "volume (its live ISO and settings CD); see docs/vm-recovery.md");

    // A volume per disk of the server, named after the new VM; a serial the controller chose.
    const json sizes = vm.contains("disk_bytes") ? vm["disk_bytes"] : json::array();
    if (!sizes.is_array() || (!sizes.empty() && sizes.size() != server.chains.size()))
        refuse("\"disk_bytes\" lists one size per disk of the server (" + std::to_string(server.chains.size()) + ")");
    const std::string tag = protocol::random_nonce().substr(0, 6);
    json disks = json::array();
    json steps = json::array({{{"step", "hypervisor.check"}}, {{"step", "hypervisor.create_disks"}}});
    for (std::size_t i = 0; i < server.chains.size(); ++i) {
        const recovery::ChainSummary& chain = server.chains[i];
        if (chain.disk_bytes == 0) refuse("the chain " + chain.newest + " holds a volume, not a disk: a new VM needs whole-disk backups");
        std::uint64_t bytes = chain.disk_bytes;
        if (!sizes.empty()) {
            if (!sizes[i].is_number_unsigned() || sizes[i].get<std::uint64_t>() < chain.disk_bytes || sizes[i].get<std::uint64_t>() > (1ull << 50))
                refuse("disk " + std::to_string(i + 1) + " must be at least its source's " + std::to_string(chain.disk_bytes) + " bytes, and at most 1 PiB");
            bytes = sizes[i].get<std::uint64_t>();
        }
        // A whole number of MiB: QEMU opens disks with O_DIRECT (cache='none'), which refuses a
        // file whose size is not a multiple of the host's block size (a 62,915,072-byte disk).
        constexpr std::uint64_t mib = 1u << 20;
        bytes = (bytes + mib - 1) / mib * mib;
        const std::string file = chain.generations.at(generation - 1).file;
        disks.push_back({{"volume", profile["name"].get<std::string>() + "-disk" + std::to_string(i + 1) + ".img"},
                         {"bytes", bytes},
                         {"archive", archives.empty() ? server.name + "/" + file : (std::filesystem::path(archives) / server.name / file).string()},
                         {"serial", "DAGDA-" + tag + "-" + std::to_string(i + 1)}});
        if (direct) steps.push_back({{"step", "direct.restore"}, {"disk", i}});
    }
    if (!direct)
        for (const char* step : {"helper.prepare", "helper.attach", "helper.start", "helper.hello", "helper.restore", "helper.detach"})
            steps.push_back({{"step", step}});
    steps.push_back({{"step", "vm.define"}});
    if (start) steps.push_back({{"step", "vm.start"}});
    json order{{"request", request},
               {"server", server.name},
               {"generation", generation},
               {"hypervisor", {{"name", hypervisor.name}, {"uri", hypervisor.uri}, {"pool", hypervisor.pool}, {"network", hypervisor.network},
                               {"credentials_file", hypervisor.credentials_file}}},
               {"mode", direct ? "direct" : "helper"},
               {"vm", profile},
               {"disks", disks},
               {"inoculate_for", json::array({target})},
               {"steps", steps}};
    if (archives.empty()) order["store"] = "bucket";
    if (vm.contains("drivers")) {
        // Read by this controller: written on the helper's settings CD, or read by direct mode's plan.
        const std::string drivers = text(vm, "drivers", "");
        std::error_code no_folder;
        if (drivers.front() != '/' || !std::filesystem::is_directory(drivers, no_folder))
            refuse("\"drivers\" is the absolute path of a folder on the controller, not \"" + drivers + "\"");
        order["drivers"] = drivers;
    }
    if (!computer_name.empty()) order["computer_name"] = computer_name;
    return order;
}

std::vector<std::string> describe_order(const json& order) {
    const json& vm = order["vm"];
    std::vector<std::string> lines;
    const std::string to = " to a new VM " + vm["name"].get<std::string>() + " on " + order["hypervisor"]["name"].get<std::string>() + " (" +
                           order["mode"].get<std::string>() + " mode)";
    const json replica = order.value("replica", json());
    if (replica.is_object()) {
        const std::string use = replica["use"];
        lines.push_back("push button: " + order["server"].get<std::string>() + "'s replica " + replica["adapter"].get<std::string>() + "/" +
                        replica["session"].get<std::string>() +
                        (use == "in_place" ? " (its volumes become the VM's disks; the session is removed)"
                         : use == "copy"   ? " copied (replication resumes after the copy)"
                                           : " backed up as generation " + std::to_string(order["generation"].get<unsigned>()) +
                                               " (replication resumes after the backup)") +
                        to);
    } else {
        lines.push_back("recover " + order["server"].get<std::string>() + " generation " + std::to_string(order["generation"].get<unsigned>()) + to);
    }
    lines.push_back("  VM: " + std::to_string(vm["cpus"].get<unsigned>()) + " CPUs, " + std::to_string(vm["memory_mib"].get<std::uint64_t>()) + " MiB, " +
                    vm["firmware"].get<std::string>() + ", " + vm["disk_bus"].get<std::string>() +
                    (vm["scsi_model"] == "" ? "" : " " + vm["scsi_model"].get<std::string>()) + " disks, " +
                    (vm.value("isolated", false) ? std::string("no network (isolated)") : vm["nic_model"].get<std::string>() + " on " + vm["network"].get<std::string>()) +
                    (order["steps"].back()["step"] == "vm.start" ? "; started" : "; left off"));
    for (const json& disk : order["disks"]) {
        const std::string archive = std::filesystem::path(disk["archive"].get<std::string>()).filename().string();
        const std::string from = !replica.is_object()           ? "from " + archive
                                 : disk.contains("copy_of")     ? "a copy of " + disk["copy_of"].get<std::string>()
                                 : disk.contains("chain")       ? "from the new generation " + archive
                                                                : "the replica's volume, as " + archive + " describes its disk";
        lines.push_back("  disk " + disk["volume"].get<std::string>() + ": " + human_bytes(disk["bytes"]) + ", serial " + disk["serial"].get<std::string>() +
                        ", " + from);
    }
    lines.push_back("  inoculate Windows (where a volume holds it) for: " + order["inoculate_for"][0].get<std::string>());
    if (replica.is_object() && !replica["disable"].empty()) {
        std::string names;
        for (const json& name : replica["disable"]) names += (names.empty() ? "" : ", ") + name.get<std::string>();
        lines.push_back("  services turned off: " + names);
    }
    if (order.contains("computer_name"))
        lines.push_back("  rename Windows " + order["computer_name"].get<std::string>() + ", its static NICs on DHCP: a copy beside the original");
    std::size_t n = 1;
    for (const json& step : order["steps"])
        lines.push_back("  " + std::to_string(n++) + ". " + step["step"].get<std::string>() + (step.contains("disk") ? " disk " + std::to_string(step["disk"].get<std::size_t>() + 1) : ""));
    return lines;
}

}  // namespace dagda::controller
