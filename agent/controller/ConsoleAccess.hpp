#pragma once
/// Who may make an /api/ request (docs/api.md, "Console"), decided on its header alone, before
/// its body is read: the operator's bearer token (scripts, `dagda ctl`), or a console session's
/// cookie. A session's request that changes anything must carry the session's CSRF token in
/// X-CSRF-Token (a page of another site can make the browser send the cookie, never read the
/// token), and a viewer may change nothing but their own password and their logging out.

#include "controller/AccountStore.hpp"

#include <cstdint>
#include <string>

namespace dagda::controller {

class Api;

struct Caller {
    enum class Kind { nobody, token, user } kind = Kind::nobody;
    std::string user;           ///< the user's name; "operator token" for the bearer token
    std::string role;           ///< "operator" or "viewer"
    std::string session_token;  ///< a user's cookie value (to log it out)
    std::string csrf;           ///< a user's session's CSRF token
    std::int64_t expires = 0;   ///< a user's session's expiry
};

/// A request let through (status 0), or the refusal to answer instead (with the caller, when a
/// known user was refused a change: the audit log names them).
struct ApiAdmission {
    Caller caller;
    int status = 0;
    std::string code, message;
};

/// What the header says; the cookie header is the raw `Cookie:` value.
struct RequestHeader {
    std::string method, path, authorization, cookie, csrf;
};

/// The name of the console's session cookie.
inline constexpr const char* session_cookie = "dagda_session";

/// The value of cookie `name` in a `Cookie:` header (RFC 6265: "a=b; c=d"), or "".
std::string cookie_value(const std::string& header, const std::string& name);

/// Decides on an /api/ request's header. POST /api/session (a login) is let through with no caller.
ApiAdmission admit_api_request(const Api& api, AccountStore& accounts, const RequestHeader& header, std::int64_t now);

}  // namespace dagda::controller
