#include "core/OwnerOnlyFile.hpp"

#include "core/Error.hpp"
#include "core/UniqueFd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace dagda {

void write_owner_only(const std::string& path, std::string_view bytes, Durability durability) {
    const std::string written_at = durability == Durability::durable ? path + ".new" : path;
    ::unlink(written_at.c_str());  // O_EXCL below: never a file (or link) someone else made there
    // The mode is given at creation, so the file is never readable by others, whatever the umask
    // (which can only take bits away).
    UniqueFd fd(::open(written_at.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) throw_errno("cannot write " + written_at);
    // A file that failed is removed: a secret cut short is no use, and must not be taken for whole.
    try {
        write_exact(fd.get(), bytes.data(), bytes.size(), 0, written_at);
    } catch (...) {
        ::unlink(written_at.c_str());
        throw;
    }
    if (durability == Durability::scratch) return;
    // `error` is read by the caller right after the failing call, before any string is built.
    const auto fail = [&](int error, const std::string& what) {
        ::unlink(written_at.c_str());
        errno = error;
        throw_errno(what);
    };
    if (::fsync(fd.get()) != 0) {
        const int error = errno;
        fail(error, "cannot write " + written_at);
    }
    if (::rename(written_at.c_str(), path.c_str()) != 0) {
        const int error = errno;
        fail(error, "cannot put " + path + " in place");
    }
}

}  // namespace dagda
