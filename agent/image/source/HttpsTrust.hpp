#pragma once
/// Which certificate an HTTPS archive server must present. By default the system's CA store and
/// the host name decide; an origin registered here is checked by its own function instead. The
/// agent registers its controller's origin with the controller's pin or CA, so the archives the
/// controller serves are trusted exactly as the controller is, with no CA file to install.

#include <boost/asio/ssl/verify_context.hpp>

#include <functional>
#include <optional>
#include <string>

namespace dagda::image {

/// An OpenSSL verify callback as Asio takes it; it must not throw.
using CertificateCheck = std::function<bool(bool preverified, boost::asio::ssl::verify_context& context)>;

struct OriginTrust {
    CertificateCheck check;
    /// The CA file the chain is verified against, instead of the system's store ("" for a pin,
    /// where only `check` decides).
    std::string ca_file;
};

/// HTTPS connections to `host`:`port` are verified by `trust`. Thread-safe; a later call for the
/// same origin replaces the earlier one.
void trust_https_origin(const std::string& host, const std::string& port, OriginTrust trust);

/// The trust registered for an origin, if any.
std::optional<OriginTrust> https_origin_trust(const std::string& host, const std::string& port);

}  // namespace dagda::image
