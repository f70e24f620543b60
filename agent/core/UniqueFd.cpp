#include "core/UniqueFd.hpp"

#include "core/Error.hpp"
#include "core/UndoJournal.hpp"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace dagda {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

UniqueFd::~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
}

UniqueFd UniqueFd::open(const std::string& path, int flags) {
    // 0666 before the umask: what a file created by any other tool gets.
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0666);
    if (fd < 0) throw_errno("cannot open " + path);
    return UniqueFd(fd);
}

void read_exact(int fd, void* buffer, std::size_t size, std::uint64_t offset, const std::string& what) {
    auto* out = static_cast<char*>(buffer);
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::pread(fd, out + done, size - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("cannot read " + what);
        if (n == 0) throw Error(ErrorKind::failed, "short read from " + what + " (ends before byte " +
                                                       std::to_string(offset + size) + ")");
        done += static_cast<std::size_t>(n);
    }
}

void write_exact(int fd, const void* buffer, std::size_t size, std::uint64_t offset, const std::string& what) {
    guard_write(fd, offset, size);  // an undo journal, when one guards this disk, saves what is overwritten
    const auto* in = static_cast<const char*>(buffer);
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::pwrite(fd, in + done, size - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("cannot write " + what);
        if (n == 0) throw Error(ErrorKind::failed, "cannot write " + what + ": the device accepted no bytes");
        done += static_cast<std::size_t>(n);
    }
}

}  // namespace dagda
