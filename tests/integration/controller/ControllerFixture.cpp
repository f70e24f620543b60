#include "integration/controller/ControllerFixture.hpp"

#include "common/Run.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <thread>

namespace dagda::testing {

namespace fs = std::filesystem;

bool controller_tools_present() { return have_program("curl") && have_program("sfdisk"); }

bool eventually(const std::function<bool()>& condition, int seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return condition();
}

ControllerProcess::ControllerProcess(const TempDir& dir, const std::string& state_dir, unsigned short port, const std::string& archives,
                                     const std::vector<std::string>& extra)
    : dir_(dir), state_dir_(state_dir), log_path_(state_dir + ".log." + std::to_string(port)) {
    std::vector<std::string> argv{dagda_binary_path(), "controller", "--state-dir", state_dir, "--port", std::to_string(port),
                                  "--heartbeat-seconds", "2"};
    if (!archives.empty()) argv.insert(argv.end(), {"--archives", archives});
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_ = std::make_unique<ChildProcess>(argv, std::vector<std::string>{}, log_path_);
    const bool boot_port = std::find(extra.begin(), extra.end(), "--boot-port") != extra.end();
    // The agent's command line is the last line the controller prints on start.
    while (pin_.empty() || port_ == 0 || (boot_port && boot_script_url_.empty()) || banner_.find("\ndagda agent ") == std::string::npos) {
        const auto line = process_->read_line(std::chrono::seconds(20));
        if (!line) throw std::runtime_error("the controller did not start: " + file_bytes(log_path_) + banner_);
        banner_ += "\n" + *line;
        if (line->rfind("certificate pin: ", 0) == 0) pin_ = line->substr(17);
        if (const auto at = line->find("127.0.0.1:"); line->rfind("listening on", 0) == 0 && at != std::string::npos)
            port_ = static_cast<unsigned short>(std::stoi(line->substr(at + 10)));
        if (line->rfind("iPXE boot script: ", 0) == 0) boot_script_url_ = line->substr(18);
    }
    std::ifstream token(state_dir + "/operator-token");
    std::getline(token, token_);
    if (pin_.empty() || port_ == 0 || token_.empty()) throw std::runtime_error("the controller said no pin, port or token");
}

std::string ControllerProcess::ca_file() const { return state_dir_ + "/tls/ca.pem"; }
std::string ControllerProcess::log() const { return file_bytes(log_path_); }
RunResult ControllerProcess::ctl(const std::string& args) const {
    return run(dagda_command() + " ctl " + args + " --controller " + url() + " --pin " + pin_ + " --token-file " + sh_quote(state_dir_ + "/operator-token"));
}
void ControllerProcess::kill(int signal) {
    process_->signal(signal);
    process_->wait();
}

std::string only_agent_id(const ControllerProcess& controller) {
    std::string id;
    REQUIRE(eventually([&] {
        const auto agents = controller.api("GET", "/api/agents")["body"]["agents"];
        if (agents.size() != 1 || !agents[0].value("connected", false)) return false;
        id = agents[0]["id"];
        return true;
    }, 30));
    return id;
}

std::string first_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

std::uint64_t ControllerProcess::resident_bytes() const {
    std::ifstream status("/proc/" + std::to_string(process_->pid()) + "/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // "VmRSS:   12345 kB"
    throw std::runtime_error("the controller has no VmRSS: it is not running");
}

nlohmann::json ControllerProcess::api(const std::string& method, const std::string& path, const nlohmann::json& body) const {
    std::string command = "curl -sS --max-time 20 --cacert " + sh_quote(ca_file()) + " -o " + sh_quote(dir_.file("api-body")) +
                          " -w '%{http_code}' -X " + method + " -H " + sh_quote("Authorization: Bearer " + token_);
    if (!body.is_null()) {
        write_file(dir_.path() / "api-request", body.dump());
        command += " -H 'Content-Type: application/json' --data-binary @" + sh_quote(dir_.file("api-request"));
    }
    const RunResult result = run(command + " " + sh_quote(url() + path));
    if (result.exit_code != 0) throw std::runtime_error("curl " + path + ": " + result.err);
    const std::string text = file_bytes(dir_.file("api-body"));
    return {{"status", std::stoi(result.out)}, {"body", text.empty() ? nlohmann::json() : nlohmann::json::parse(text)}};
}

std::string ControllerProcess::enrol(const std::string& name) const {
    const nlohmann::json answer = api("POST", "/api/enrolments", {{"name", name}});
    if (answer["status"] != 201) throw std::runtime_error("enrolment refused: " + answer.dump());
    const std::string path = dir_.file(name + ".token");
    write_file(path, answer["body"]["token"].get<std::string>() + "\n");
    return path;
}

nlohmann::json ControllerProcess::events(const std::string& job) const {
    nlohmann::json all = nlohmann::json::array();
    for (;;) {
        const std::int64_t after = all.empty() ? 0 : all.back()["seq"].get<std::int64_t>();
        const nlohmann::json answer = api("GET", "/api/jobs/" + job + "/events?after=" + std::to_string(after));
        for (const auto& event : answer["body"]["events"]) all.push_back(event);
        if (!answer["body"].value("more", false)) return all;
    }
}

std::string ControllerProcess::job_state(const std::string& job) const {
    const nlohmann::json answer = api("GET", "/api/jobs/" + job);
    return answer["body"].value("state", "?");
}

AgentProcess::AgentProcess(const TempDir& dir, const AgentOptions& options) : log_path_(dir.file("agent-" + options.name + ".log")) {
    const std::string state = dir.file("agent-" + options.name);
    const std::vector<std::string> environment{"DAGDA_RUN_DIR=" + state + "/run"};
    const std::vector<std::string> trust = options.pin.empty() ? std::vector<std::string>{"--ca", options.ca_file}
                                                               : std::vector<std::string>{"--pin", options.pin};
    std::vector<std::string> argv{dagda_binary_path(), "agent", "--state-dir", state, "--disk", options.disk, "--machine-id", options.machine_id};
    const std::string controller = "wss://127.0.0.1:" + std::to_string(options.port);
    if (options.as_kernel_command_line) {
        const std::string cmdline = dir.file("cmdline-" + options.name);
        write_file(cmdline, "BOOT_IMAGE=/vmlinuz quiet dagda.controller=" + controller + " dagda.pin=" + options.pin + " dagda.enrolment=" +
                                options.name + " dagda.token=" + file_bytes(options.token_file).substr(0, 64) + " console=ttyS0\n");
        argv.insert(argv.end(), {"--settings", cmdline});
    } else {
        argv.insert(argv.end(), {"--controller", controller, "--enrolment", options.name, "--token-file", options.token_file});
        argv.insert(argv.end(), trust.begin(), trust.end());
    }
    process_ = std::make_unique<ChildProcess>(argv, environment, log_path_);
}

std::string AgentProcess::log() const { return file_bytes(log_path_); }
void AgentProcess::kill(int signal) { process_->signal(signal); }
int AgentProcess::wait() { return process_->wait(); }

std::string make_source_disk(const TempDir& dir, const std::string& archive) {
    const std::string disk = make_image(dir, "source.img", 48ull << 20);
    if (run("echo ',40M,L' | sfdisk -q " + sh_quote(disk)).exit_code != 0) throw std::runtime_error("sfdisk failed");
    std::string data(40ull << 20, '\0');
    std::mt19937_64 random(7);
    for (std::size_t i = 0; i + 8 <= data.size(); i += 8) {
        const std::uint64_t value = random();
        std::memcpy(data.data() + i, &value, 8);
    }
    std::fstream file(disk, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(1 << 20);
    file.write(data.data(), static_cast<std::streamsize>(data.size()));
    file.close();
    const RunResult capture = run(dagda_command() + " tib capture --disk " + sh_quote(disk) + " " + sh_quote(archive) + " --progress none");
    if (capture.exit_code != 0) throw std::runtime_error("capture failed: " + capture.err);
    return disk;
}

nlohmann::json restore_plan(const std::string& archive, const std::string& target) {
    return {{"dagda_plan", 1},
            {"name", "restore through the controller"},
            {"disks", {{"target", {{"path", target}, {"size", fs::file_size(target)}}}}},
            {"steps",
             {{{"step", "disk.apply_layout"}, {"disk", "target"}, {"layout", {{"archive", archive}}}},
              {{"step", "image.restore"}, {"disk", "target"}, {"archive", archive}, {"volumes", "all"}}}}};
}

bool contiguous(const nlohmann::json& events) {
    for (std::size_t i = 0; i < events.size(); ++i)
        if (events[i]["seq"] != i + 1) return false;
    return true;
}

}  // namespace dagda::testing
