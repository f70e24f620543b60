#include "core/Subprocess.hpp"

#include "core/Error.hpp"
#include "core/UniqueFd.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <tuple>
#include <cerrno>
#include <cstring>

extern char** environ;

namespace dagda {

namespace {

std::pair<UniqueFd, UniqueFd> make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("cannot create a pipe");
    return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

/// The whole lines of `pending` given to `on_line` and taken out of it; at the end, the rest too.
void hand_over_lines(std::string& pending, const std::function<void(const std::string&)>& on_line, bool at_end) {
    std::size_t start = 0;
    for (std::size_t end; (end = pending.find('\n', start)) != std::string::npos; start = end + 1) on_line(pending.substr(start, end - start));
    pending.erase(0, start);
    if (at_end && !pending.empty()) {
        on_line(pending);
        pending.clear();
    }
}

/// Feeds stdin and reads both pipes until both close; poll keeps a full stderr from blocking a
/// child that still writes stdout, and a child that reads nothing from blocking us. With a
/// deadline or an output bound, the child's process group is killed when either is passed, and
/// the pipes are drained to their close (the killed processes close them).
void exchange(pid_t group, UniqueFd in_fd, int out_fd, int err_fd, const ProgramBounds& bounds, ProgramResult& result) {
    std::array<pollfd, 3> fds{{{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}, {in_fd.get(), POLLOUT, 0}}};
    std::array<std::string*, 2> sinks{&result.out, &result.err};
    std::size_t written = 0;
    if (bounds.input.empty()) {
        in_fd = UniqueFd();
        fds[2].fd = -1;
    }
    const auto deadline = std::chrono::steady_clock::now() + bounds.timeout;
    bool killed = false;
    const auto kill_group = [&] {
        if (!killed && group > 0) ::kill(-group, SIGKILL);
        killed = true;
    };
    int open = 2;
    char buffer[65536];
    while (open > 0) {
        int wait_ms = -1;
        if (bounds.cancel && !killed) {
            if (bounds.cancel->load()) {
                result.cancelled = true;
                kill_group();
            } else {
                wait_ms = 200;  // the flag is looked at this often
            }
        }
        if (bounds.timeout.count() > 0 && !killed) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
            if (left <= 0) {
                result.timed_out = true;
                kill_group();
            } else {
                wait_ms = static_cast<int>(std::min<long long>(left, wait_ms < 0 ? 60000 : wait_ms));
            }
        }
        if (::poll(fds.data(), fds.size(), wait_ms) < 0) {
            if (errno == EINTR) continue;
            throw_errno("cannot read a helper program's output");
        }
        if (fds[2].fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
            // A reader that went away is the program's business (it answers or fails on its own):
            // EPIPE here, not SIGPIPE, which SigpipeBlocked holds off.
            const ssize_t put = ::write(fds[2].fd, bounds.input.data() + written, bounds.input.size() - written);
            if (put > 0) written += static_cast<std::size_t>(put);
            if ((put < 0 && errno != EINTR && errno != EAGAIN) || written == bounds.input.size()) {
                in_fd = UniqueFd();
                fds[2].fd = -1;
            }
        }
        for (std::size_t i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            const ssize_t got = ::read(fds[i].fd, buffer, sizeof buffer);
            if (got > 0) {
                if (sinks[i]->size() + static_cast<std::size_t>(got) > bounds.most_output) {
                    result.output_cut = true;
                    kill_group();
                } else {
                    sinks[i]->append(buffer, static_cast<std::size_t>(got));
                }
                if (i == 0 && bounds.on_line) hand_over_lines(result.out, bounds.on_line, false);
            } else if (got == 0 || errno != EINTR) {
                if (i == 0 && bounds.on_line) hand_over_lines(result.out, bounds.on_line, true);
                fds[i].fd = -1;
                --open;
            }
        }
    }
}

/// SIGPIPE blocked on this thread while a child's stdin is written, and one raised meanwhile
/// taken off the thread's pending set: a program that exits without reading its input must not
/// kill the caller (the controller) with the signal.
class SigpipeBlocked {
public:
    SigpipeBlocked() {
        sigemptyset(&pipe_);
        sigaddset(&pipe_, SIGPIPE);
        ::pthread_sigmask(SIG_BLOCK, &pipe_, &previous_);
    }
    ~SigpipeBlocked() {
        const timespec none{0, 0};
        while (::sigtimedwait(&pipe_, nullptr, &none) > 0) {
        }
        ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
    }
    SigpipeBlocked(const SigpipeBlocked&) = delete;
    SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

private:
    sigset_t pipe_, previous_;
};

ProgramResult spawn_and_collect(const std::vector<std::string>& argv, const std::vector<std::string>& environment, const ProgramBounds* bounds) {
    if (argv.empty()) throw Error(ErrorKind::failed, "run_program: no program named");
    auto [out_read, out_write] = make_pipe();
    auto [err_read, err_write] = make_pipe();
    UniqueFd in_read, in_write;
    const bool feeds = bounds && !bounds->input.empty();
    if (feeds) {
        std::tie(in_read, in_write) = make_pipe();
        if (::fcntl(in_write.get(), F_SETFL, O_NONBLOCK) != 0) throw_errno("cannot make a pipe non-blocking");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (feeds)
        posix_spawn_file_actions_adddup2(&actions, in_read.get(), 0);
    else
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
    posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    if (bounds) {
        // A group of its own, so a timeout kills whatever the program started too.
        posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
        posix_spawnattr_setpgroup(&attributes, 0);
    }
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    // Ours first, and an inherited variable of the same name left out: ours must win.
    std::vector<std::string> env_strings(environment.begin(), environment.end());
    for (char** e = environ; *e; ++e) {
        const std::string entry(*e);
        const std::string name = entry.substr(0, entry.find('=') + 1);
        bool overridden = false;
        for (const std::string& own : environment) overridden = overridden || own.rfind(name, 0) == 0;
        if (!overridden) env_strings.push_back(entry);
    }
    std::vector<char*> env;
    for (std::string& entry : env_strings) env.push_back(entry.data());
    env.push_back(nullptr);
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, argv[0].c_str(), &actions, &attributes, args.data(), env.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (rc != 0) throw Error(ErrorKind::failed, "cannot run " + argv[0] + ": " + std::strerror(rc));
    out_write = UniqueFd();
    err_write = UniqueFd();
    in_read = UniqueFd();
    ProgramResult result;
    {
        SigpipeBlocked no_sigpipe;
        exchange(bounds ? pid : 0, std::move(in_write), out_read.get(), err_read.get(), bounds ? *bounds : ProgramBounds{}, result);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) throw_errno("cannot wait for " + argv[0]);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

}  // namespace

ProgramResult run_program(const std::vector<std::string>& argv, const std::vector<std::string>& environment) {
    return spawn_and_collect(argv, environment, nullptr);
}

ProgramResult run_bounded_program(const std::vector<std::string>& argv, const ProgramBounds& bounds, const std::vector<std::string>& environment) {
    return spawn_and_collect(argv, environment, &bounds);
}

}  // namespace dagda
