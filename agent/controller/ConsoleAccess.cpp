#include "controller/ConsoleAccess.hpp"

#include "controller/Api.hpp"
#include "protocol/Proof.hpp"

namespace dagda::controller {

namespace {

ApiAdmission refused(int status, const std::string& code, const std::string& message) { return {{}, status, code, message}; }

bool only_looks(const std::string& method) { return method == "GET" || method == "HEAD"; }

}  // namespace

std::string cookie_value(const std::string& header, const std::string& name) {
    std::size_t at = 0;
    while (at < header.size()) {
        const std::size_t end = std::min(header.find(';', at), header.size());
        std::size_t begin = at;
        while (begin < end && header[begin] == ' ') ++begin;
        const std::string pair = header.substr(begin, end - begin);
        const std::size_t equals = pair.find('=');
        if (equals != std::string::npos && pair.substr(0, equals) == name) return pair.substr(equals + 1);
        at = end + 1;
    }
    return "";
}

ApiAdmission admit_api_request(const Api& api, AccountStore& accounts, const RequestHeader& header, std::int64_t now) {
    if (header.path == "/api/session" && header.method == "POST") return {};  // a login: who it is comes with the body
    if (!header.authorization.empty()) {
        if (!api.authorized(header.authorization))
            return refused(401, "unauthorized", "the request needs the operator's token (Authorization: Bearer TOKEN) or a console session");
        ApiAdmission admitted;
        admitted.caller = {Caller::Kind::token, "operator token", "operator", "", "", 0};
        return admitted;
    }
    const std::string token = cookie_value(header.cookie, session_cookie);
    const auto session = accounts.session(token, now);
    if (!session)
        return refused(401, "unauthorized", token.empty() ? "the request needs the operator's token (Authorization: Bearer TOKEN) or a console session"
                                                          : "the console session has expired or was ended: log in again");
    ApiAdmission admitted;
    admitted.caller = {Caller::Kind::user, session->user, session->role, token, session->csrf, session->expires};
    if (only_looks(header.method)) return admitted;
    // Refused with the caller named: the audit log keeps who tried.
    const auto refuse_caller = [&](const std::string& code, const std::string& message) {
        ApiAdmission refusal = refused(403, code, message);
        refusal.caller = admitted.caller;
        return refusal;
    };
    if (header.csrf.empty() || !protocol::same_proof(header.csrf, session->csrf))
        return refuse_caller("csrf", "a change made with a console session needs its CSRF token in X-CSRF-Token");
    const bool own_password = header.method == "POST" && header.path == "/api/users/" + session->user + "/password";
    const bool logging_out = header.method == "DELETE" && header.path == "/api/session";
    if (session->role != "operator" && !own_password && !logging_out)
        return refuse_caller("forbidden", "the user " + session->user + " is a viewer: a viewer may look, not change anything");
    return admitted;
}

}  // namespace dagda::controller
