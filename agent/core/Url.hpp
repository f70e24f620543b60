#pragma once
/// The one splitter of the URLs dagda is given: SCHEME://HOST[:PORT][/TARGET], the host a name,
/// an IPv4 address or an IPv6 address in brackets. Used for archive servers (http, https), the
/// controller's API (https) and the agent's link (wss); each caller checks its own scheme.

#include "core/Error.hpp"

#include <optional>
#include <string>

namespace dagda {

struct Url {
    std::string scheme;  ///< "https", as given, without "://"
    std::string host;    ///< without brackets
    std::string port;    ///< digits, or "" when the URL names none
    std::string target;  ///< from the first '/' after the host, or "" when there is none
};

/// Throws Error{kind} naming `url` when it has no scheme, no host, an unclosed '[' or a port that
/// is not 1-65535.
Url parse_url(const std::string& url, ErrorKind kind);

/// `name` for one segment of a URL path: unreserved characters as they are, every other byte
/// %-escaped (a '/' too).
std::string url_path_escaped(const std::string& name);

/// `text` with its %XX escapes decoded; nullopt for a malformed escape or a NUL.
std::optional<std::string> url_unescaped(const std::string& text);

}  // namespace dagda
