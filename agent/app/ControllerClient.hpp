#pragma once
/// The operator's HTTPS client of the controller's REST API (docs/api.md), for `dagda ctl`: one
/// kept-alive TLS connection, the controller trusted by its certificate pin or a CA file only
/// (net/TlsTrust.hpp), the operator's token on every request, a deadline on every step.

#include "net/TlsTrust.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

namespace dagda::app {

/// The controller answered with an error (docs/api.md: {"error": CODE, "message": TEXT}).
class ControllerRefusal : public std::runtime_error {
public:
    ControllerRefusal(int status, std::string code, const std::string& message)
        : std::runtime_error(message), status_(status), code_(std::move(code)) {}
    int status() const noexcept { return status_; }
    const std::string& code() const noexcept { return code_; }

private:
    int status_;
    std::string code_;
};

struct ControllerEndpoint {
    std::string host;  ///< a name or an address (IPv6 without brackets)
    std::string port;
};

/// "https://HOST:PORT" (port 443 when absent; a trailing '/' allowed). Throws Error{usage} for
/// anything else: the API is never spoken in clear text, it carries the operator's token.
ControllerEndpoint parse_controller_url(const std::string& url);

class ControllerClient {
public:
    /// Nothing is sent yet; throws Error{usage} for a trust spec that is not exactly one of pin
    /// and CA file.
    ControllerClient(ControllerEndpoint endpoint, const net::TrustSpec& trust, std::string token,
                     std::chrono::milliseconds timeout = std::chrono::seconds(30));
    ~ControllerClient();
    ControllerClient(const ControllerClient&) = delete;
    ControllerClient& operator=(const ControllerClient&) = delete;

    /// GET `target` ("/api/jobs"); the answer's JSON body. Throws ControllerRefusal for an error
    /// answer, Error{failed} when the controller cannot be reached, is not trusted, or answers
    /// something that is not the API's JSON.
    nlohmann::json get(const std::string& target);
    /// POST `body` to `target`; as get().
    nlohmann::json post(const std::string& target, const nlohmann::json& body);
    /// DELETE `target`; as post().
    nlohmann::json remove(const std::string& target);

private:
    class Connection;
    nlohmann::json exchange(const std::string& method, const std::string& target, const std::string& body);

    ControllerEndpoint endpoint_;
    net::TrustSpec trust_;
    std::string token_;
    std::chrono::milliseconds timeout_;
    std::unique_ptr<Connection> connection_;  // kept alive between requests (ctl watch polls)
};

}  // namespace dagda::app
