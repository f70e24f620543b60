#pragma once
/// Errors of the whole agent and the exit codes they map to.
///
/// Every failure that reaches the user carries a kind; the kind decides the exit code that
/// `dagda --help` documents (0 done, 1 failed, 2 usage error, 3 refused for safety).

#include <stdexcept>
#include <string>

namespace dagda {

/// What went wrong, as the operator and the controller see it.
enum class ErrorKind {
    failed,   ///< an operation or its input failed (bad layout, I/O error, libparted error)
    usage,    ///< the command line is wrong
    refused,  ///< a safety check refused a destructive operation; nothing was written
    cancelled,  ///< the operator (or the controller) cancelled a job; it can be resumed
};

/// Exit code for a kind (stable; documented in `dagda --help`).
int exit_code(ErrorKind kind) noexcept;

/// Name of a kind as it appears in JSON output ("failed", "usage", "refused").
const char* to_string(ErrorKind kind) noexcept;

/// The one exception type of the agent: a kind plus a message that names the problem.
class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    ErrorKind kind() const noexcept { return kind_; }

private:
    ErrorKind kind_;
};

/// Throws Error{failed} with `what: strerror(errno)` appended; call right after the failing syscall.
[[noreturn]] void throw_errno(const std::string& what);

}  // namespace dagda
