// dagda agent: the live image's resident. Dials the controller, proves itself with its enrolment
// token, and runs the plans it is given (docs/protocol.md). Its settings come from the command
// line or from a file of dagda.KEY=VALUE words, which may be /proc/cmdline itself.

#include "app/AgentJobs.hpp"
#include "app/Commands.hpp"
#include "app/ControllerTrust.hpp"
#include "app/MachineInventory.hpp"
#include "app/Version.hpp"
#include "core/Error.hpp"
#include "image/source/HttpsTrust.hpp"
#include "link/AgentLink.hpp"
#include "net/Certificates.hpp"
#include "net/TlsTrust.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

namespace dagda::app {

namespace po = boost::program_options;

namespace {

/// dagda.controller=wss://… dagda.pin=… dagda.enrolment=… dagda.token=… (any order, other words
/// ignored): the kernel command line's form, so the image's init can pass /proc/cmdline.
std::map<std::string, std::string> settings_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw Error(ErrorKind::usage, "cannot read the agent settings " + path);
    std::map<std::string, std::string> settings;
    for (std::string word; in >> word;) {
        if (word.rfind("dagda.", 0) != 0) continue;
        const auto equals = word.find('=');
        if (equals == std::string::npos) continue;
        settings[word.substr(6, equals - 6)] = word.substr(equals + 1);
    }
    return settings;
}

std::string first_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

/// What binds the enrolment token to this machine on the controller: the SMBIOS UUID, else the
/// lowest MAC address of its network interfaces (FOG uses only the MAC; the UUID survives a NIC
/// swap). A test gives its own.
std::string machine_identity(const nlohmann::json& inventory) {
    const auto& machine = inventory["machine"];
    if (machine.contains("product_uuid") && machine["product_uuid"].is_string()) return "uuid:" + machine["product_uuid"].get<std::string>();
    std::string lowest;
    for (const auto& nic : inventory.value("network", nlohmann::json::array())) {
        const std::string mac = nic.value("mac", nlohmann::json()).is_string() ? nic["mac"].get<std::string>() : "";
        if (mac.empty() || mac == "00:00:00:00:00:00") continue;
        if (lowest.empty() || mac < lowest) lowest = mac;
    }
    if (lowest.empty()) throw Error(ErrorKind::failed, "this machine has neither an SMBIOS UUID nor a MAC address to be known by; give --machine-id");
    return "mac:" + lowest;
}

}  // namespace

int run_agent(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("controller", po::value<std::string>(), "the controller: wss://HOST:PORT")(
        "pin", po::value<std::string>(), "the SHA-256 pin of the controller's certificate")(
        "ca", po::value<std::string>(), "or the CA file the controller's certificate must chain to")(
        "enrolment", po::value<std::string>(), "this machine's enrolment name on the controller")(
        "token-file", po::value<std::string>(), "the file holding the enrolment token")(
        "settings", po::value<std::string>(), "read dagda.controller=, dagda.pin=, dagda.ca=, dagda.enrolment=, dagda.token= from this file (e.g. /proc/cmdline); options given win")(
        "state-dir", po::value<std::string>()->default_value("/var/lib/dagda"), "outbox, job journals (must survive a restart of the agent)")(
        "disk", po::value<std::vector<std::string>>()->composing(), "report only these disks (block devices or image files); default every disk")(
        "machine-id", po::value<std::string>(), "this machine's identity (default: SMBIOS UUID, else the lowest MAC)");
    const auto vm = parse_args(args, {"agent"}, options, {});
    if (!vm) return 0;
    std::map<std::string, std::string> settings;
    if (vm->count("settings")) settings = settings_file((*vm)["settings"].as<std::string>());
    for (const char* key : {"controller", "pin", "ca", "enrolment"})
        if (vm->count(key)) settings[key] = (*vm)[key].as<std::string>();
    if (vm->count("token-file")) settings["token"] = first_line((*vm)["token-file"].as<std::string>());
    for (const char* key : {"controller", "enrolment", "token"})
        if (settings[key].empty()) throw po::error(std::string("the agent needs its ") + key + " (--" + (std::string(key) == "token" ? "token-file" : key) + " or --settings)");

    link::LinkSettings link_settings;
    link_settings.controller_url = settings["controller"];
    link_settings.trust = {settings["pin"], settings["ca"]};
    link_settings.enrolment = settings["enrolment"];
    link_settings.token = settings["token"];
    link_settings.agent_version = version_text;
    link_settings.boot_id = first_line("/proc/sys/kernel/random/boot_id");
    const auto disks = vm->count("disk") ? (*vm)["disk"].as<std::vector<std::string>>() : std::vector<std::string>{};
    link_settings.inventory = machine_inventory(disks);
    link_settings.inventory["machine"]["machine_id"] =
        vm->count("machine-id") ? (*vm)["machine-id"].as<std::string>() : machine_identity(link_settings.inventory);

    // The archives the controller serves (its /files/ URLs) are trusted as the controller is.
    const link::ControllerUrl controller = link::parse_controller_url(link_settings.controller_url);
    image::HttpsTrust https_trust = controller_https_trust(controller.host, controller.port, link_settings.trust);

    // Jobs are kept per controller (its pin or CA): another controller's job-1 is another job.
    const std::string trust_name = !link_settings.trust.pin.empty() ? net::normalised_pin(link_settings.trust.pin) : link_settings.trust.ca_file;
    AgentJobs jobs((*vm)["state-dir"].as<std::string>(), trust_name, std::move(https_trust));
    boost::asio::io_context io;
    link::AgentLink link(io, link_settings, jobs, jobs.unacknowledged());
    jobs.attach(link);
    boost::asio::signal_set stop(io, SIGINT, SIGTERM);
    stop.async_wait([&io](const boost::system::error_code&, int) { io.stop(); });
    link.start();
    std::cerr << "dagda agent: dialling " << link_settings.controller_url << " as " << link_settings.enrolment << "\n";
    io.run();
    std::cerr << "dagda agent: stopping; a running job stops at its next safe point and resumes from its journal\n";
    jobs.shutdown();  // before the link and its io_context go: the worker still posts to them
    return 0;
}

}  // namespace dagda::app
