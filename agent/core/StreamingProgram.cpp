#include "core/StreamingProgram.hpp"

#include "core/Error.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace dagda {

namespace {

constexpr off_t kept_errors = 64 * 1024;

/// posix_spawn's attributes and file actions, destroyed however the start ends.
struct SpawnSetup {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    SpawnSetup() {
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attributes);
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attributes);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;
};

}  // namespace

StreamingProgram::StreamingProgram(const std::vector<std::string>& argv) {
    if (argv.empty()) throw Error(ErrorKind::failed, "StreamingProgram: no program named");
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("cannot create a pipe");
    output_ = UniqueFd(fds[0]);
    const UniqueFd write_end(fds[1]);
    // A deeper pipe than the default 64 KiB: fewer, larger reads and writes for a download
    // (best effort; the system's pipe-max-size may be lower).
    ::fcntl(output_.get(), F_SETPIPE_SZ, 1 << 20);
    const int memory = ::memfd_create("dagda-program-errors", MFD_CLOEXEC);
    if (memory < 0) throw_errno("cannot create a file for a program's errors");
    errors_ = UniqueFd(memory);
    SpawnSetup setup;
    posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&setup.actions, write_end.get(), 1);
    posix_spawn_file_actions_adddup2(&setup.actions, errors_.get(), 2);
    // A group of its own, so the destructor stops whatever the program started too.
    posix_spawnattr_setflags(&setup.attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&setup.attributes, 0);
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    const int rc = ::posix_spawnp(&pid_, argv[0].c_str(), &setup.actions, &setup.attributes, args.data(), environ);
    if (rc != 0) {
        pid_ = -1;
        throw Error(ErrorKind::failed, "cannot run " + argv[0] + ": " + std::strerror(rc));
    }
}

StreamingProgram::~StreamingProgram() {
    if (pid_ <= 0 || reaped_) return;
    ::kill(-pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
}

int StreamingProgram::wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0)
        if (errno != EINTR) throw_errno("cannot wait for a program");
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string StreamingProgram::errors() const {
    struct stat status {};
    if (::fstat(errors_.get(), &status) != 0) return "";
    const off_t start = status.st_size > kept_errors ? status.st_size - kept_errors : 0;
    std::string text(static_cast<std::size_t>(status.st_size - start), '\0');
    const ssize_t got = ::pread(errors_.get(), text.data(), text.size(), start);
    text.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
    return text;
}

}  // namespace dagda
