// dagda ctl hypervisor add|list|remove: the hypervisors a controller makes VMs on
// (docs/api.md, "Hypervisors"; docs/vm-recovery.md).

#include "app/CtlSession.hpp"
#include "core/Error.hpp"

#include <iostream>

namespace dagda::app {

namespace po = boost::program_options;
using nlohmann::json;

namespace {

constexpr const char* usage =
    "Usage: dagda ctl hypervisor add NAME --uri URI --pool POOL [--network NET] [--credentials-file FILE]\n"
    "       dagda ctl hypervisor list [--json]\n"
    "       dagda ctl hypervisor remove NAME\n"
    "A hypervisor is a libvirt URI (qemu:///system, qemu+ssh://HOST/system, esx://HOST,\n"
    "vpx://VCENTER/DC/HOST), the storage pool new disks go to and the network new VMs join.\n"
    "A user name and password go in a credentials file on the controller (mode 600: a line\n"
    "\"user=NAME\" and a line \"password=SECRET\"), never in the URI.\n";


int add(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("name", po::value<std::string>()->required(), "the hypervisor's name for the operator")(
        "uri", po::value<std::string>()->required(), "its libvirt URI (no password in it)")(
        "pool", po::value<std::string>()->required(), "the storage pool (ESX: the datastore) new disks go to")(
        "network", po::value<std::string>()->default_value(""), "the network (ESX: the port group) new VMs join")(
        "credentials-file", po::value<std::string>(), "a file on the controller with user= and password= lines (mode 600)");
    const auto vm = parse_ctl_words(args, usage, options, {"name"});
    if (!vm) return 0;
    json request{{"name", (*vm)["name"].as<std::string>()},
                 {"uri", (*vm)["uri"].as<std::string>()},
                 {"pool", (*vm)["pool"].as<std::string>()},
                 {"network", (*vm)["network"].as<std::string>()}};
    if (vm->count("credentials-file")) request["credentials_file"] = (*vm)["credentials-file"].as<std::string>();
    const json answer = ctl_client(*vm)->post("/api/hypervisors", request);
    std::cerr << "dagda ctl: added the " << answer.value("flavour", "") << " hypervisor " << answer.value("name", "") << " (" << answer.value("uri", "")
              << ", pool " << answer.value("pool", "") << ")\n";
    return 0;
}

int list(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("json", "print the controller's answer");
    const auto vm = parse_ctl_words(args, usage, options, {});
    if (!vm) return 0;
    const json answer = ctl_client(*vm)->get("/api/hypervisors");
    if (vm->count("json")) {
        std::cout << answer.dump(2) << "\n";
        return 0;
    }
    for (const json& h : answer.value("hypervisors", json::array())) {
        if (!h.is_object()) continue;
        std::cout << h.value("name", "?") << "  " << h.value("uri", "?") << "  pool " << h.value("pool", "?");
        if (!h.value("network", "").empty()) std::cout << "  network " << h.value("network", "");
        if (h.contains("credentials_file") && h["credentials_file"].is_string()) std::cout << "  credentials " << h["credentials_file"].get<std::string>();
        std::cout << "\n";
    }
    return 0;
}

int remove(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("name", po::value<std::string>()->required(), "the hypervisor to forget (nothing on it is touched)");
    const auto vm = parse_ctl_words(args, usage, options, {"name"});
    if (!vm) return 0;
    const std::string name = checked_id((*vm)["name"].as<std::string>(), "a hypervisor's name");
    ctl_client(*vm)->remove("/api/hypervisors/" + name);
    std::cerr << "dagda ctl: the controller forgot the hypervisor " << name << "; nothing on it was touched\n";
    return 0;
}

}  // namespace

int ctl_hypervisor(const std::vector<std::string>& args) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        std::cout << usage;
        return args.empty() ? 2 : 0;
    }
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "add") return add(rest);
    if (args[0] == "list") return list(rest);
    if (args[0] == "remove") return remove(rest);
    throw Error(ErrorKind::usage, "dagda ctl hypervisor add, list or remove, not " + args[0]);
}

}  // namespace dagda::app
