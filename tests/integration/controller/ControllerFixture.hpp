#pragma once
/// A real `dagda controller` and real `dagda agent` processes on loopback for the issue 6 tests,
/// with the operator's side driven through the REST API (curl) as an operator's script would.

#include "common/ChildProcess.hpp"
#include "common/Run.hpp"
#include "common/TempDir.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dagda::testing {

/// Whether these tests can run here (curl and sfdisk present).
bool controller_tools_present();

/// Polls `condition` every 100 ms until it holds or `seconds` pass; returns whether it held.
bool eventually(const std::function<bool()>& condition, int seconds);

class ControllerProcess {
public:
    /// Starts `dagda controller` with its state in `state_dir`; port 0 picks a free one.
    /// `extra`: more options (--name, --public-host for a QEMU guest).
    ControllerProcess(const TempDir& dir, const std::string& state_dir, unsigned short port = 0, const std::string& archives = "",
                      const std::vector<std::string>& extra = {});
    unsigned short port() const { return port_; }
    const std::string& pin() const { return pin_; }
    std::string ca_file() const;
    std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
    /// With --boot-port: the generic iPXE script's URL, as the controller prints it.
    const std::string& boot_script_url() const { return boot_script_url_; }
    /// A REST call; returns {"status": N, "body": JSON}.
    nlohmann::json api(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr) const;
    /// Enrols `name`; writes its token to a file and returns the file's path.
    std::string enrol(const std::string& name) const;
    /// Events of a job, in order; and its state.
    nlohmann::json events(const std::string& job) const;
    std::string job_state(const std::string& job) const;
    std::string log() const;
    /// `dagda ctl ARGS` as the operator runs it: this controller's URL, pin and operator token.
    RunResult ctl(const std::string& args) const;
    /// What it printed on start (stdout), each line after a newline.
    const std::string& banner() const { return banner_; }
    void kill(int signal);
    /// The controller's resident memory now (VmRSS), in bytes.
    std::uint64_t resident_bytes() const;

private:
    const TempDir& dir_;
    std::string state_dir_, log_path_, banner_;
    std::unique_ptr<ChildProcess> process_;
    unsigned short port_ = 0;
    std::string pin_, token_, boot_script_url_;
};

struct AgentOptions {
    std::string name;            ///< enrolment name
    std::string token_file;
    std::string disk;            ///< the image file it reports and may write
    std::string machine_id = "test-machine";
    unsigned short port = 0;     ///< the controller's port (or a proxy's)
    std::string pin;             ///< the controller's pin (--pin), or empty to trust ca_file instead
    std::string ca_file;         ///< the controller's CA (--ca), used when pin is empty
    /// Give controller, pin, enrolment and token as a kernel command line file (--settings)
    /// instead of options, as the live image's init does.
    bool as_kernel_command_line = false;
};

class AgentProcess {
public:
    AgentProcess(const TempDir& dir, const AgentOptions& options);
    std::string log() const;
    void kill(int signal);
    int wait();

private:
    std::string log_path_;
    std::unique_ptr<ChildProcess> process_;
};

/// A 48 MiB disk image with one partition of random data (seeded), and its TIB capture at
/// `archive`; returns the disk's path.
std::string make_source_disk(const TempDir& dir, const std::string& archive);

/// A plan restoring `archive` (path or URL) onto the image file `target` by its path and size.
nlohmann::json restore_plan(const std::string& archive, const std::string& target);

/// The id of the controller's only agent, once it is connected (fails the test after 30 s).
std::string only_agent_id(const ControllerProcess& controller);

/// The first line of a file (a token file), without its newline.
std::string first_line(const std::string& path);

/// The seq numbers of `events` ({"seq", "event"} objects) are 1..N with no gap and no repeat.
bool contiguous(const nlohmann::json& events);

}  // namespace dagda::testing
