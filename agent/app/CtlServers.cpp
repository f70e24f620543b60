// dagda ctl servers and dagda ctl generations SERVER: the servers whose backups the controller
// holds, and one server's generations (GET /api/servers; docs/api.md, "Servers").

#include "app/CtlSession.hpp"
#include "core/Units.hpp"

#include <iostream>

namespace dagda::app {

namespace po = boost::program_options;
using nlohmann::json;

namespace {


std::string newest_date(const json& server) {
    std::string newest;
    for (const json& chain : server.value("chains", json::array()))
        for (const json& g : chain.value("generations", json::array())) newest = std::max(newest, g.value("created", std::string()));
    return newest.empty() ? "-" : newest;
}

}  // namespace

int ctl_servers(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("json", "print the controller's answer");
    const auto vm = parse_ctl_words(args, "Usage: dagda ctl servers [--json]\nThe servers whose backups the controller holds.", options, {});
    if (!vm) return 0;
    const json answer = ctl_client(*vm)->get("/api/servers");
    if (vm->count("json")) {
        std::cout << answer.dump(2) << "\n";
        return 0;
    }
    for (const json& server : answer.value("servers", json::array())) {
        const std::size_t disks = server.value("chains", json::array()).size();
        const unsigned generations = server.value("generations", 0u);
        std::cout << server.value("name", "?") << "  " << disks << (disks == 1 ? " disk" : " disks") << ", " << generations
                  << (generations == 1 ? " generation" : " generations") << ", newest " << newest_date(server) << "\n";
    }
    return 0;
}

int ctl_generations(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("server", po::value<std::string>()->required(), "the server (its folder in the archive folder)")("json", "print the controller's answer");
    const auto vm = parse_ctl_words(args, "Usage: dagda ctl generations SERVER [--json]\nOne server's disks and their generations.", options, {"server"});
    if (!vm) return 0;
    const json server = ctl_client(*vm)->get("/api/servers/" + checked_id((*vm)["server"].as<std::string>(), "a server's name"));
    if (vm->count("json")) {
        std::cout << server.dump(2) << "\n";
        return 0;
    }
    std::cout << server.value("name", "?") << ": " << server.value("generations", 0) << " generations (recover one with --generation N)\n";
    for (const json& chain : server.value("chains", json::array())) {
        std::cout << "  disk " << chain.value("newest", "?") << ": " << human_bytes(chain.value("disk_bytes", std::uint64_t{0}));
        if (chain.contains("table") && chain["table"].is_string()) std::cout << ", " << chain["table"].get<std::string>();
        std::cout << ", from " << chain.value("host", "?") << "\n";
        for (const json& g : chain.value("generations", json::array())) {
            const std::string number = g.contains("number") && g["number"].is_number() ? std::to_string(g["number"].get<unsigned>()) : "?";
            std::cout << "    " << number << "  " << g.value("created", "?") << "  " << g.value("kind", "?") << "  "
                      << human_bytes(g.value("bytes", std::uint64_t{0})) << "  " << g.value("file", "?") << "\n";
        }
        if (chain.contains("broken")) std::cout << "    (" << chain.value("broken", "") << ")\n";
    }
    return 0;
}

}  // namespace dagda::app
