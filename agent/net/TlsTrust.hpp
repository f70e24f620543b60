#pragma once
/// How a client (the agent, `dagda ctl`) decides to trust the controller, because a rogue
/// controller could order disks erased: either the SHA-256 pin of the controller's certificate
/// (what `dagda controller` prints on its first start) or a CA file whose chain must verify and
/// name the host. Nothing else: the system's CA store is never consulted for the controller.

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/verify_context.hpp>

#include <memory>
#include <string>

namespace dagda::net {

struct TrustSpec {
    std::string pin;      ///< "AB:CD:…" in any case, with or without ':'; or empty
    std::string ca_file;  ///< PEM CA certificate; or empty
};

/// Checks the certificate a server presents against a TrustSpec. One object per connection
/// attempt: it remembers why it refused, for the error message. Used as an OpenSSL verify
/// callback through Asio, so it never throws: a failure of its own is a refusal.
class ServerTrust {
public:
    ServerTrust(TrustSpec spec, std::string host);
    bool operator()(bool preverified, boost::asio::ssl::verify_context& context) noexcept;
    /// Why the last certificate was refused ("" when none was).
    const std::string& refusal() const noexcept { return *refusal_; }

private:
    std::string pin_, host_;
    bool use_ca_ = false;
    std::shared_ptr<std::string> refusal_;  // shared: Asio copies the callback into the stream
};

/// A TLS client context (TLS 1.2 at least) that verifies peers, with the CA loaded when the spec
/// names one. Throws Error{usage} for a spec with neither or both, an unreadable CA file or a pin
/// that is not 32 hex pairs.
boost::asio::ssl::context client_context(const TrustSpec& spec);

/// The pin of the certificate at depth 0 in `context`, or "" (helper for logs and tests).
std::string presented_pin(boost::asio::ssl::verify_context& context) noexcept;
/// The key pin of the certificate being verified (net/Certificates.hpp), or "" when it cannot be read.
std::string presented_key_pin(boost::asio::ssl::verify_context& context) noexcept;

}  // namespace dagda::net
