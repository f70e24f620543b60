#include "core/OpenBeneath.hpp"

#include "core/Error.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace dagda {

namespace {

/// glibc 2.36 (Debian 12) has no wrapper for openat2 yet; the kernel has had it since 5.6.
int openat2_call(int directory, const char* path, const open_how& how) {
    return static_cast<int>(::syscall(SYS_openat2, directory, path, &how, sizeof how));
}

}  // namespace

BeneathFile open_beneath(const std::string& folder, const std::string& name, BeneathRefusal& refusal) {
    refusal = BeneathRefusal::none;
    const UniqueFd directory(::open(folder.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!directory) {
        refusal = errno == ENOENT ? BeneathRefusal::missing : BeneathRefusal::unreadable;
        return {};
    }
    open_how how{};
    // O_NONBLOCK: a FIFO planted in the folder must not hang the caller; a regular file ignores it.
    how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    UniqueFd fd(openat2_call(directory.get(), name.c_str(), how));
    if (!fd) {
        switch (errno) {
            case ENOENT: refusal = BeneathRefusal::missing; break;
            case EXDEV:
            case ELOOP: refusal = BeneathRefusal::outside; break;  // a path or link leaving the folder
            default: refusal = BeneathRefusal::unreadable; break;
        }
        return {};
    }
    struct stat status {};
    if (::fstat(fd.get(), &status) != 0 || !S_ISREG(status.st_mode)) {
        refusal = BeneathRefusal::not_regular;
        return {};
    }
    return {std::move(fd), static_cast<std::uint64_t>(status.st_size)};
}

BeneathFile open_beneath_or_throw(const std::string& folder, const std::string& name, const std::string& what) {
    BeneathRefusal refusal{};
    BeneathFile file = open_beneath(folder, name, refusal);
    switch (refusal) {
        case BeneathRefusal::none: return file;
        case BeneathRefusal::missing: throw Error(ErrorKind::failed, what + " does not exist in " + folder);
        case BeneathRefusal::outside:
            throw Error(ErrorKind::refused, what + " leads outside " + folder + " (a symbolic link or path out of the folder is not followed)");
        case BeneathRefusal::not_regular: throw Error(ErrorKind::refused, what + " in " + folder + " is not a regular file");
        case BeneathRefusal::unreadable: break;
    }
    throw Error(ErrorKind::failed, what + " in " + folder + " cannot be opened");
}

}  // namespace dagda
