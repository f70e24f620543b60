#include "core/Error.hpp"

#include <cerrno>
#include <cstring>

namespace dagda {

int exit_code(ErrorKind kind) noexcept {
    switch (kind) {
    case ErrorKind::failed: return 1;
    case ErrorKind::usage: return 2;
    case ErrorKind::refused: return 3;
    case ErrorKind::cancelled: return 4;
    }
    return 1;
}

const char* to_string(ErrorKind kind) noexcept {
    switch (kind) {
    case ErrorKind::failed: return "failed";
    case ErrorKind::usage: return "usage";
    case ErrorKind::refused: return "refused";
    case ErrorKind::cancelled: return "cancelled";
    }
    return "failed";
}

void throw_errno(const std::string& what) {
    const int saved = errno;  // read first: building the message may touch errno
    throw Error(ErrorKind::failed, what + ": " + std::strerror(saved));
}

}  // namespace dagda
