#pragma once
/// The controller's own certificate authority and server certificate, made on its first start
/// (OpenSSL), and the pin an agent checks: the SHA-256 fingerprint of the certificate's DER
/// bytes, as `openssl x509 -fingerprint -sha256` prints it (upper-case hex pairs joined by ':').

#include <string>
#include <vector>

namespace dagda::net {

struct CertificateFiles {
    std::string ca_certificate;      ///< PEM: what agents may be given instead of a pin
    std::string server_certificate;  ///< PEM, signed by the CA
    std::string server_key;          ///< PEM, private (mode 0600)
};

/// Makes, in `folder` (0700), a CA (EC P-256, 10 years; its key kept in ca.key, 0600) and a
/// server certificate (EC P-256, 2 years) for the names and addresses in `subject_alt_names`
/// ("DNS:controller.lan", "IP:10.0.2.2"; at least one), unless they exist already (a restart
/// keeps them, so agents keep their pin). Every file is written atomically. Returns the files.
/// Not yet done: renewing the server certificate before it expires (its pin then changes; agents
/// given the CA keep working).
CertificateFiles ensure_controller_certificates(const std::string& folder, const std::vector<std::string>& subject_alt_names);

/// The pin of a PEM certificate file: "AB:CD:…" (32 pairs). Throws Error{failed} when the file
/// is not a certificate.
std::string certificate_pin(const std::string& pem_path);

/// The pin of a certificate given as DER bytes (what a TLS handshake presents).
std::string certificate_pin_der(const unsigned char* der, std::size_t size);

/// Normalises a pin as people write it (any case, with or without ':'), or "" when it is not 32
/// hex pairs.
std::string normalised_pin(const std::string& text);

}  // namespace dagda::net
