#pragma once
/// Opening a file that must lie inside a folder: the controller serves and reads archives by the
/// name an operator or a plan gives, and a symbolic link in the archive folder must not turn that
/// name into the operator's token or /etc/shadow (issue 13, item 5).

#include "core/UniqueFd.hpp"

#include <cstdint>
#include <string>

namespace dagda {

/// A regular file opened read-only by `name` relative to `folder`, resolved by the kernel
/// (openat2, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS): a path or a symbolic link that leads
/// outside `folder` is refused, one that stays inside is followed.
struct BeneathFile {
    UniqueFd fd;
    std::uint64_t size = 0;
};

/// Why an open beneath a folder failed, for the caller's answer (404, or a refusal's text).
enum class BeneathRefusal { none, missing, outside, not_regular, unreadable };

/// Opens `name` (a relative path) beneath `folder`; on failure returns an empty fd and sets
/// `refusal`. Never follows a link out of `folder`, never blocks on a FIFO.
BeneathFile open_beneath(const std::string& folder, const std::string& name, BeneathRefusal& refusal);

/// The same, throwing Error{refused} for a name that leads outside the folder or is not a
/// regular file and Error{failed} for a missing or unreadable one; `what` names the file.
BeneathFile open_beneath_or_throw(const std::string& folder, const std::string& name, const std::string& what);

}  // namespace dagda
