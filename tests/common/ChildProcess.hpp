#pragma once
/// A child process whose stdout is read line by line while it runs, so a test can act on what it
/// says (kill it at the Nth event of a job). Killed and reaped in the destructor if still running.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace dagda::testing {

class ChildProcess {
public:
    /// Starts argv (PATH lookup) with `environment` (NAME=value) added; stderr goes to `stderr_path`.
    ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& environment, const std::string& stderr_path);
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ~ChildProcess();

    /// The next line of stdout (without the newline), or nullopt at end of output or after `timeout`.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout);
    /// Sends `signal` (SIGKILL, SIGTERM) to the process.
    void signal(int signal);
    /// Waits for the process to end; its exit code, or 128 + the signal that ended it.
    int wait();
    int pid() const noexcept { return pid_; }

private:
    int pid_ = -1;
    int out_ = -1;
    std::string buffer_;
    bool eof_ = false;
    std::optional<int> status_;
};

}  // namespace dagda::testing
