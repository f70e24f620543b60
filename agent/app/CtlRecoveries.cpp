// dagda ctl recover-vm and dagda ctl recovery: a server's generation recovered to a new VM on a
// hypervisor (POST /api/recoveries; docs/vm-recovery.md), and following one step by step.

#include "app/CtlSession.hpp"
#include "core/Error.hpp"

#include <chrono>
#include <iomanip>
#include <iostream>
#include <map>
#include <thread>

namespace dagda::app {

namespace po = boost::program_options;
using nlohmann::json;

namespace {

/// When each phase's progress ("helper: image.restore") was last printed, by its event's time:
/// a line every 10 s and at each phase's end, for a terminal (the page takes one a second).
using ProgressPrinted = std::map<std::string, double>;

bool print_progress(const json& e, ProgressPrinted& printed) {
    const double total = e.value("total", 0.0), done = e.value("done", 0.0), at = e.value("at", 0.0);
    if (total <= 0) return false;
    const auto [last, first] = printed.try_emplace(e.value("message", ""), at);
    if (!first && done < total && at - last->second < 10) return false;
    last->second = at;
    return true;
}

/// Prints the recovery's events from `after` on; returns the last seq printed.
std::int64_t print_events(const json& events, std::int64_t after, ProgressPrinted& printed) {
    for (const json& e : events) {
        after = std::max(after, e.value("seq", after));
        const std::string kind = e.value("event", "");
        if (kind == "step_started") std::cout << "  " << e.value("index", 0) + 1 << ". " << e.value("step", "") << " ...\n";
        else if (kind == "step_finished")
            std::cout << "  " << e.value("index", 0) + 1 << ". " << e.value("step", "") << " done in " << std::fixed << std::setprecision(1)
                      << e.value("seconds", 0.0) << " s\n";
        else if (kind == "step_failed") std::cout << "  " << e.value("index", 0) + 1 << ". " << e.value("step", "") << " FAILED: " << e.value("message", "") << "\n";
        else if (kind == "step_said") std::cout << "     " << e.value("message", "") << "\n";
        else if (kind == "step_progress" && print_progress(e, printed))
            std::cout << "     " << e.value("message", "") << ": " << static_cast<int>(100 * e.value("done", 0.0) / e.value("total", 1.0)) << "%\n";
        else if (kind == "freeze_window")
            std::cout << "     freeze window: " << std::fixed << std::setprecision(1) << e.value("seconds", 0.0) << " s (frozen to resumed)\n";
        else if (kind == "replica_resumed") std::cout << "  replication resumed\n";
        else if (kind == "cleanup_detached") std::cout << "  detached the new disks from the helper VM " << e.value("name", "") << "\n";
        else if (kind == "cleanup_removed") std::cout << "  removed the " << e.value("kind", "") << " " << e.value("name", "") << "\n";
        else if (kind == "recovery_cancelled") std::cout << "  cancelled before it started\n";
        else if (kind == "cleanup_finished") std::cout << "  cleaned up: everything the recovery made is gone\n";
        else if (kind == "cleanup_failed") std::cout << "  the cleanup FAILED: " << e.value("message", "") << "\n";
        else if (kind == "recovery_finished")
            std::cout << "the VM " << e.value("vm", "") << " is defined" << (e.value("started", false) ? " and started" : " and left off")
                      << "; recovery time achieved: " << e.value("seconds", 0) << " s\n";
    }
    std::cout << std::flush;
    return after;
}

}  // namespace

int follow_recovery(ControllerClient& client, const std::string& id) {
    std::int64_t seen = 0;
    ProgressPrinted printed;
    for (;;) {
        seen = print_events(client.get("/api/recoveries/" + id + "/events?after=" + std::to_string(seen)).value("events", json::array()), seen, printed);
        const json recovery = client.get("/api/recoveries/" + id);
        const std::string state = recovery.value("state", "");
        if (state == "succeeded" || state == "failed" || state == "cleaned" || state == "cancelled") {
            print_events(client.get("/api/recoveries/" + id + "/events?after=" + std::to_string(seen)).value("events", json::array()), seen, printed);
            if (state != "succeeded") std::cerr << "dagda ctl: " << id << " " << state << ": " << recovery.value("reason", "") << "\n";
            return state == "succeeded" || state == "cleaned" ? 0 : 1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
}

namespace {

/// The new VM's options recover-vm and push-button share.
po::options_description vm_options() {
    po::options_description options("Options");
    options.add_options()("server", po::value<std::string>()->required(), "the server (its folder in the archive folder)")(
        "hypervisor", po::value<std::string>()->required(), "the hypervisor the new VM is made on (dagda ctl hypervisor list)")(
        "name", po::value<std::string>()->required(), "the new VM's name")("cpus", po::value<unsigned>(), "its CPUs (default 2)")(
        "memory", po::value<unsigned>(), "its memory in MiB (default 4096)")("firmware", po::value<std::string>(), "bios, uefi or uefi-secure-boot (default: from the disk's table)")(
        "bus", po::value<std::string>(), "sata, scsi, virtio or ide (default: sata on QEMU, scsi on ESX)")(
        "scsi-model", po::value<std::string>(), "virtio-scsi, lsisas1068, lsilogic or vmpvscsi")("nic", po::value<std::string>(), "e1000e, e1000, vmxnet3, virtio")(
        "network", po::value<std::string>(), "the network or port group (default: the hypervisor's)")(
        "disk-bytes", po::value<std::vector<std::uint64_t>>()->multitoken(), "larger disks: one size per disk of the server, in bytes")(
        "drivers", po::value<std::string>(), "vendor driver packages for a bus Windows has no in-box driver for")(
        "rename", po::value<std::string>(), "a test copy: rename its Windows (and its static NICs to DHCP) to run beside the original")(
        "start", "start the new VM (only with --isolated and --rename: a test copy)")("isolated", "no network for the new VM")(
        "direct", "write the pool's volumes from the controller itself (a local dir pool): no helper VM")(
        "dry-run", "print the plan; make nothing")("no-watch", "queue it and print its id only");
    return options;
}

/// The request's "to": {"vm": …} from those options.
json vm_target(const po::variables_map& vm) {
    json target{{"hypervisor", vm["hypervisor"].as<std::string>()}, {"name", vm["name"].as<std::string>()}, {"direct", vm.count("direct") > 0}};
    if (vm.count("cpus")) target["cpus"] = vm["cpus"].as<unsigned>();
    if (vm.count("memory")) target["memory_mib"] = vm["memory"].as<unsigned>();
    for (const auto& [option, key] : {std::pair{"firmware", "firmware"}, {"bus", "bus"}, {"scsi-model", "scsi_model"}, {"nic", "nic"}, {"network", "network"}, {"drivers", "drivers"}})
        if (vm.count(option)) target[key] = vm[option].as<std::string>();
    if (vm.count("rename")) target["computer_name"] = vm["rename"].as<std::string>();
    if (vm.count("start")) target["start"] = true;
    if (vm.count("isolated")) target["isolated"] = true;
    if (vm.count("disk-bytes")) target["disk_bytes"] = vm["disk-bytes"].as<std::vector<std::uint64_t>>();
    return {{"vm", target}};
}

/// POST /api/recoveries, the plan printed, then followed to its end (unless a dry run or --no-watch).
int submit_recovery(const po::variables_map& vm, json request) {
    if (vm.count("dry-run")) request["dry_run"] = true;
    const auto client = ctl_client(vm);
    const json answer = client->post("/api/recoveries", request);
    for (const json& line : answer.value("plan", json::array())) std::cout << line.get<std::string>() << "\n";
    if (vm.count("dry-run")) return 0;
    const std::string id = answer.value("id", "");
    std::cout << id << std::endl;
    if (vm.count("no-watch")) return 0;
    return follow_recovery(*client, checked_id(id, "a recovery id"));
}

}  // namespace

int ctl_recover_vm(const std::vector<std::string>& args) {
    po::options_description options = vm_options();
    options.add_options()("generation", po::value<unsigned>(), "which generation, 1 = the first full backup (default: the newest)");
    const auto vm = parse_ctl_words(args, "Usage: dagda ctl recover-vm SERVER --hypervisor H --name NEW [options]\nRecover a server's generation to a new VM, left off.",
                                    options, {"server"});
    if (!vm) return 0;
    json request{{"server", (*vm)["server"].as<std::string>()}, {"to", vm_target(*vm)}};
    if (vm->count("generation")) request["generation"] = (*vm)["generation"].as<unsigned>();
    return submit_recovery(*vm, request);
}

int ctl_push_button(const std::vector<std::string>& args) {
    po::options_description options = vm_options();
    options.add_options()("copy", "copy the frozen replica, resume replication, recover the copy")(
        "backup", "back the frozen replica up as a new generation, resume replication, recover that generation")(
        "adapter", po::value<std::string>(), "the replication adapter (default: the one with a session of the server)")(
        "session", po::value<std::string>(), "the replication session (default: the server's one)")(
        "disable", po::value<std::vector<std::string>>()->composing(), "a Windows service to turn off in the new VM (the replication agent; repeatable)");
    const auto vm = parse_ctl_words(args,
                                    "Usage: dagda ctl push-button SERVER --hypervisor H --name NEW [--copy | --backup] [options]\n"
                                    "Turn a server's replica into a new VM, left off: in place (the replica is consumed), or from a copy or a backup of it.",
                                    options, {"server"});
    if (!vm) return 0;
    if (vm->count("copy") && vm->count("backup")) throw Error(ErrorKind::usage, "--copy and --backup exclude each other");
    json replica{{"use", vm->count("copy") ? "copy" : vm->count("backup") ? "backup" : "in_place"}};
    if (vm->count("adapter")) replica["adapter"] = (*vm)["adapter"].as<std::string>();
    if (vm->count("session")) replica["session"] = (*vm)["session"].as<std::string>();
    if (vm->count("disable")) replica["disable"] = (*vm)["disable"].as<std::vector<std::string>>();
    return submit_recovery(*vm, {{"server", (*vm)["server"].as<std::string>()}, {"from", {{"replica", replica}}}, {"to", vm_target(*vm)}});
}

int ctl_recovery(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("recovery", po::value<std::string>()->required(), "the recovery's id")("json", "print the controller's answer")(
        "watch", "follow it until it ends")("cleanup", "remove what a failed recovery made (its VM, its volumes), and only that; follows it")(
        "cancel", "cancel a queued or running recovery (a running one fails at its next safe point); follows it");
    const auto vm = parse_ctl_words(args, "Usage: dagda ctl recovery ID [--watch | --cleanup | --cancel] [--json]\nA recovery to a new VM: its state and steps.",
                                    options, {"recovery"});
    if (!vm) return 0;
    const std::string id = checked_id((*vm)["recovery"].as<std::string>(), "a recovery id");
    const auto client = ctl_client(*vm);
    if (vm->count("cleanup")) {
        const json answer = client->post("/api/recoveries/" + id + "/cleanup", json::object());
        std::cerr << "dagda ctl: cleaning up " << id << "\n";
        return follow_recovery(*client, id);
    }
    if (vm->count("cancel")) {
        client->post("/api/recoveries/" + id + "/cancel", json::object());
        std::cerr << "dagda ctl: cancelling " << id << "\n";
        return follow_recovery(*client, id);
    }
    if (vm->count("watch")) return follow_recovery(*client, id);
    const json recovery = client->get("/api/recoveries/" + id);
    if (vm->count("json")) {
        std::cout << recovery.dump(2) << "\n";
        return 0;
    }
    std::cout << id << ": " << recovery.value("state", "?") << ", " << recovery.value("server", "?") << " to the VM " << recovery["vm"].value("name", "?")
              << " on " << recovery.value("hypervisor", "?") << "\n";
    if (recovery.contains("reason")) std::cout << "  " << recovery.value("reason", "") << "\n";
    ProgressPrinted printed;
    print_events(client->get("/api/recoveries/" + id + "/events").value("events", json::array()), 0, printed);
    return 0;
}

}  // namespace dagda::app
