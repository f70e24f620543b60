#include "core/Subprocess.hpp"

#include "core/Error.hpp"
#include "core/UniqueFd.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
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

/// Reads both pipes until both close; poll keeps a full stderr from blocking a child that
/// still writes stdout.
void drain(int out_fd, int err_fd, ProgramResult& result) {
    std::array<pollfd, 2> fds{{{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}}};
    std::array<std::string*, 2> sinks{&result.out, &result.err};
    int open = 2;
    char buffer[65536];
    while (open > 0) {
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            throw_errno("cannot read a helper program's output");
        }
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            const ssize_t got = ::read(fds[i].fd, buffer, sizeof buffer);
            if (got > 0) {
                sinks[i]->append(buffer, static_cast<std::size_t>(got));
            } else if (got == 0 || errno != EINTR) {
                fds[i].fd = -1;
                --open;
            }
        }
    }
}

}  // namespace

ProgramResult run_program(const std::vector<std::string>& argv, const std::vector<std::string>& environment) {
    if (argv.empty()) throw Error(ErrorKind::failed, "run_program: no program named");
    auto [out_read, out_write] = make_pipe();
    auto [err_read, err_write] = make_pipe();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
    posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
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
    const int rc = ::posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, args.data(), env.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw Error(ErrorKind::failed, "cannot run " + argv[0] + ": " + std::strerror(rc));
    out_write = UniqueFd();
    err_write = UniqueFd();
    ProgramResult result;
    drain(out_read.get(), err_read.get(), result);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) throw_errno("cannot wait for " + argv[0]);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

}  // namespace dagda
