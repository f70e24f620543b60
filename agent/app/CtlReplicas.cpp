// dagda ctl replicas and dagda ctl replica add|freeze|resume|remove: the replication sessions of
// every adapter, and the built-in engine's sessions managed (docs/replication.md; docs/api.md,
// "Replicas").

#include "app/CtlSession.hpp"
#include "core/Error.hpp"
#include "core/Units.hpp"

#include <iostream>

namespace dagda::app {

namespace po = boost::program_options;
using nlohmann::json;

namespace {

constexpr const char* usage =
    "Usage: dagda ctl replica add SERVER --hypervisor H\n"
    "       dagda ctl replica freeze|resume|remove ID\n"
    "The built-in engine's replicas: a server's disks kept current in a hypervisor's pool from\n"
    "its backup generations (docs/replication.md). `dagda ctl replicas` lists every engine's.\n";

int add(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("server", po::value<std::string>()->required(), "the server (its folder in the archive folder)")(
        "hypervisor", po::value<std::string>()->required(), "the hypervisor whose pool holds the replica");
    const auto vm = parse_ctl_words(args, usage, options, {"server"});
    if (!vm) return 0;
    const json answer = ctl_client(*vm)->post("/api/replicas", {{"server", (*vm)["server"].as<std::string>()},
                                                                {"hypervisor", (*vm)["hypervisor"].as<std::string>()}});
    std::cout << answer.value("id", "?") << ": replicating " << answer.value("server", "?") << " into " << answer.value("hypervisor", "?") << "'s pool:";
    for (const json& v : answer.value("volumes", json::array())) std::cout << " " << v.value("volume", "?");
    std::cout << " (the newest generation is restored first; dagda ctl replicas)\n";
    return 0;
}

int change(const std::string& verb, const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("id", po::value<std::string>()->required(), "the session (replica-N)");
    const auto vm = parse_ctl_words(args, usage, options, {"id"});
    if (!vm) return 0;
    const std::string id = checked_id((*vm)["id"].as<std::string>(), "a replica's id");
    const auto client = ctl_client(*vm);
    if (verb == "remove") {
        const json answer = client->remove("/api/replicas/" + id);
        std::cout << id << ": removed; its volumes stay in the pool:";
        for (const json& v : answer.value("volumes", json::array())) std::cout << " " << v.value("volume", "?");
        std::cout << "\n";
        return 0;
    }
    const json answer = client->post("/api/replicas/" + id + "/" + verb, json::object());
    const std::string state = answer.value("state", "?");
    std::cout << id << ": " << state << (state == "freezing" ? " (the generation being applied ends first)" : "") << "\n";
    return 0;
}

}  // namespace

int ctl_replicas(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("json", "print the controller's answer");
    const auto vm = parse_ctl_words(args, "Usage: dagda ctl replicas [--json]\nEvery replication adapter's sessions.", options, {});
    if (!vm) return 0;
    const json answer = ctl_client(*vm)->get("/api/replicas");
    if (vm->count("json")) {
        std::cout << answer.dump(2) << "\n";
        return 0;
    }
    for (const json& s : answer.value("replicas", json::array())) {
        std::cout << s.value("adapter", "?") << "/" << s.value("id", "?") << "  " << s.value("server", "?") << " on " << s.value("hypervisor", "?") << "  "
                  << s.value("state", "?");
        if (s.contains("generation")) std::cout << "  generation " << s.value("generation", 0u);
        if (s.contains("as_of")) std::cout << " (" << s.value("as_of", "") << ")";
        std::cout << "\n";
        for (const json& v : s.value("volumes", json::array()))
            std::cout << "    disk " << v.value("disk", 0u) << ": " << v.value("volume", "?") << ", " << human_bytes(v.value("bytes", std::uint64_t{0})) << "\n";
        if (s.contains("detail")) std::cout << "    " << s.value("detail", "") << "\n";
    }
    for (const json& a : answer.value("adapters", json::array()))
        if (a.contains("error")) std::cout << "adapter " << a.value("name", "?") << ": " << a.value("error", "") << "\n";
    return 0;
}

int ctl_replica(const std::vector<std::string>& args) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        std::cout << usage;
        return args.empty() ? 2 : 0;
    }
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "add") return add(rest);
    if (args[0] == "freeze" || args[0] == "resume" || args[0] == "remove") return change(args[0], rest);
    throw Error(ErrorKind::usage, "dagda ctl replica add, freeze, resume or remove, not " + args[0]);
}

}  // namespace dagda::app
