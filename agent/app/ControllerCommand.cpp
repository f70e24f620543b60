// dagda controller: the reference controller (docs/api.md, docs/protocol.md). Runs until SIGINT
// or SIGTERM; everything it knows is in --state-dir, so a restart picks up where it stopped.

#include "app/Commands.hpp"
#include "controller/ControllerServer.hpp"
#include "controller/ReplicationAdapter.hpp"
#include "controller/FileRanges.hpp"

#include <boost/asio/signal_set.hpp>

#include <filesystem>
#include <iostream>

namespace dagda::app {

namespace po = boost::program_options;

namespace {

/// `word` as the shell reads it back: as it is when it is plain, else in single quotes.
std::string shell_word(const std::string& word) {
    if (!word.empty() && word.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.,:/@+=[]") == std::string::npos)
        return word;
    std::string quoted = "'";
    for (const char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

/// Lines to paste: the environment `dagda ctl` reads (CtlSession.cpp) for an operator on this
/// machine, and the command line of an agent (which reaches the controller by its public URL).
void print_ready_lines(const std::string& listen, const controller::ControllerServer& server) {
    // A wildcard listen address is reachable from here by the loopback address.
    std::string host = listen == "0.0.0.0" ? "127.0.0.1" : listen == "::" ? "::1" : listen;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    const std::string token_file = std::filesystem::absolute(server.operator_token_file()).lexically_normal().string();
    std::string agent_url = server.public_url();
    if (agent_url.rfind("https://", 0) == 0) agent_url = "wss://" + agent_url.substr(8);
    while (!agent_url.empty() && agent_url.back() == '/') agent_url.pop_back();
    // A wildcard address is no address to dial: the operator puts in one the agent can reach.
    bool wildcard = false;
    for (const std::string any : {"//0.0.0.0:", "//[::]:"})
        if (const auto at = agent_url.find(any); at != std::string::npos) {
            agent_url.replace(at + 2, any.size() - 3, "HOST");
            wildcard = true;
        }
    std::cout << "# dagda ctl on this machine:\n"
              << "export DAGDA_CTL_CONTROLLER=" << shell_word("https://" + host + ":" + std::to_string(server.port()))
              << " DAGDA_CTL_PIN=" << shell_word(server.pin()) << " DAGDA_CTL_TOKEN_FILE=" << shell_word(token_file) << "\n"
              << "# the agent of an enrolment NAME (dagda ctl enrol NAME > NAME.token), on its machine"
              << (wildcard ? " (HOST: an address of this controller it reaches; or start with --public-host)" : "") << ":\n"
              << "dagda agent --controller " << shell_word(agent_url) << " --pin " << shell_word(server.pin())
              << " --enrolment NAME --token-file NAME.token\n";
}

}  // namespace

int run_controller(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("state-dir", po::value<std::string>()->default_value("/var/lib/dagda-controller"), "database, certificates, tokens")(
        "listen", po::value<std::string>()->default_value("127.0.0.1"), "the address to listen on")(
        "port", po::value<unsigned short>()->default_value(8443), "the HTTPS and WSS port (0: any free port)")(
        "name", po::value<std::vector<std::string>>()->composing(), "a name in a new certificate: DNS:controller.lan or IP:10.0.2.2 (repeatable)")(
        "archives", po::value<std::string>(), "the folder of TIB archives to serve to agents")(
        "archive-store", po::value<std::string>(), "keep the archives in an S3-compatible bucket: its settings file (docs/archive-store.md)")(
        "archive-url-hours", po::value<int>()->default_value(24), "how long a job's pre-signed URLs of the bucket last (1-168)")(
        "public-url", po::value<std::string>(), "how agents reach this controller (default https://LISTEN:PORT)")(
        "public-host", po::value<std::string>(), "the host of that default URL instead of the listen address (10.0.2.2 for QEMU guests)")(
        "heartbeat-seconds", po::value<int>()->default_value(10), "how often agents send a heartbeat (1-3600)")(
        "certificate-check-seconds", po::value<int>()->default_value(43200),
        "how often the certificate is checked and, in the last third of its life, renewed (1-86400)")(
        "boot-port", po::value<unsigned short>(), "also serve PXE boot files and iPXE scripts over plain HTTP on this port (0: any free port)")(
        "boot-files", po::value<std::string>(), "the live image's pxe folder (vmlinuz, initrd.img) for the boot port")(
        "boot-unknown", po::value<std::string>()->default_value("next"), "what a card no enrolment names boots: next (its next device) or console")(
        "helper-iso", po::value<std::string>(), "the live ISO helper VMs boot to recover servers to new VMs (without it: direct mode only)")(
        "helper-hello-seconds", po::value<int>()->default_value(600), "how long a started helper VM has to say hello (10-3600)")(
        "replication-adapter", po::value<std::vector<std::string>>()->composing(),
        "NAME=PROGRAM: a replication engine's adapter (docs/replication.md; repeatable)")(
        "replication-timeout", po::value<int>()->default_value(120), "seconds a replication adapter has to answer (1-3600)")(
        "replica-scan-seconds", po::value<int>()->default_value(30), "how often new generations are applied to replicas and adapters asked (1-3600)")(
        "max-connections", po::value<std::size_t>()->default_value(0), "connections served at once (0: the open-file limit less 128)")(
        "kernel-options", po::value<std::string>(), "kernel options of the iPXE scripts (default: console=tty0 console=ttyS0,115200)");
    const auto vm = parse_args(args, {"controller"}, options, {});
    if (!vm) return 0;
    controller::ControllerSettings settings;
    settings.state_dir = (*vm)["state-dir"].as<std::string>();
    settings.listen_address = (*vm)["listen"].as<std::string>();
    settings.port = (*vm)["port"].as<unsigned short>();
    if (vm->count("name")) settings.names = (*vm)["name"].as<std::vector<std::string>>();
    if (vm->count("archives")) settings.archives_dir = (*vm)["archives"].as<std::string>();
    if (vm->count("archive-store")) settings.archive_store = (*vm)["archive-store"].as<std::string>();
    if (vm->count("archives") && vm->count("archive-store")) throw po::error("--archives and --archive-store are two places for the same archives: give one");
    const int url_hours = (*vm)["archive-url-hours"].as<int>();
    if (url_hours < 1 || url_hours > 168) throw po::error("--archive-url-hours must be 1 to 168 (S3 honours a pre-signed URL for 7 days at most)");
    settings.archive_url_lifetime = std::chrono::hours(url_hours);
    if (vm->count("public-url")) settings.public_url = (*vm)["public-url"].as<std::string>();
    if (vm->count("public-host")) settings.public_host = (*vm)["public-host"].as<std::string>();
    settings.heartbeat_seconds = (*vm)["heartbeat-seconds"].as<int>();
    const int check_seconds = (*vm)["certificate-check-seconds"].as<int>();
    if (check_seconds < 1 || check_seconds > 86400) throw po::error("--certificate-check-seconds must be 1 to 86400");
    settings.certificate_check_every = std::chrono::seconds(check_seconds);
    settings.max_connections = (*vm)["max-connections"].as<std::size_t>();
    if (vm->count("boot-port")) settings.boot_port = (*vm)["boot-port"].as<unsigned short>();
    const std::string unknown = (*vm)["boot-unknown"].as<std::string>();
    if (unknown != "next" && unknown != "console") throw po::error("--boot-unknown is next or console");
    settings.boot_console_for_unknown = unknown == "console";
    if (vm->count("boot-files")) settings.boot_files_dir = (*vm)["boot-files"].as<std::string>();
    if (vm->count("helper-iso")) settings.helper_iso = std::filesystem::absolute((*vm)["helper-iso"].as<std::string>()).string();
    const int hello_seconds = (*vm)["helper-hello-seconds"].as<int>();
    if (hello_seconds < 10 || hello_seconds > 3600) throw po::error("--helper-hello-seconds must be 10 to 3600");
    settings.helper_hello = std::chrono::seconds(hello_seconds);
    if (vm->count("replication-adapter"))
        for (const std::string& option : (*vm)["replication-adapter"].as<std::vector<std::string>>()) {
            auto [name, program] = controller::adapter_option(option);
            for (const auto& known : settings.replication_adapters)
                if (known.first == name) throw po::error("two replication adapters are named " + name);
            settings.replication_adapters.emplace_back(name, std::filesystem::absolute(program).string());
        }
    const int adapter_seconds = (*vm)["replication-timeout"].as<int>();
    if (adapter_seconds < 1 || adapter_seconds > 3600) throw po::error("--replication-timeout must be 1 to 3600");
    settings.replication_timeout = std::chrono::seconds(adapter_seconds);
    const int scan_seconds = (*vm)["replica-scan-seconds"].as<int>();
    if (scan_seconds < 1 || scan_seconds > 3600) throw po::error("--replica-scan-seconds must be 1 to 3600");
    settings.replica_scan = std::chrono::seconds(scan_seconds);
    if (vm->count("kernel-options")) settings.kernel_options = (*vm)["kernel-options"].as<std::string>();
    if (settings.heartbeat_seconds < 1 || settings.heartbeat_seconds > 3600) throw po::error("--heartbeat-seconds must be 1 to 3600");

    boost::asio::io_context io;
    controller::ControllerServer server(io, settings);
    boost::asio::signal_set stop(io, SIGINT, SIGTERM);
    stop.async_wait([&io](const boost::system::error_code&, int) { io.stop(); });
    server.start();
    // Tests and scripts read these lines; the pin is what agents need (dagda.pin=).
    std::cout << "certificate pin: " << server.pin() << "\n"
              << "CA certificate: " << server.ca_file() << "\n"
              << "operator token: " << server.operator_token_file() << "\n"
              << "listening on https://" << settings.listen_address << ":" << server.port() << " (agents: wss://…/agent)\n";
    if (!server.boot_script_url().empty()) std::cout << "iPXE boot script: " << server.boot_script_url() << "\n";
    print_ready_lines(settings.listen_address, server);
    std::cout << std::flush;
    io.run();
    return 0;  // the server waits for its file reads as it goes, before the io_context does
}

}  // namespace dagda::app
