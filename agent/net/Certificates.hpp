#pragma once
/// The controller's own certificate authority and server certificate, made on its first start
/// (OpenSSL) and renewed before they expire, and the pins an agent checks. The controller's pin is
/// its key's: the SHA-256 of the certificate's SubjectPublicKeyInfo (what curl's --pinnedpubkey
/// hashes), as upper-case hex pairs joined by ':'. A renewed certificate keeps the key, so the pin
/// agents were given stays good. A certificate's own fingerprint (`openssl x509 -fingerprint
/// -sha256`, the pin of controllers before 2026-12-05) is still accepted, until the renewal.

#include <cstdint>
#include <string>
#include <vector>

namespace dagda::net {

struct CertificateFiles {
    std::string ca_certificate;      ///< PEM: what agents may be given instead of a pin
    std::string server_certificate;  ///< PEM, signed by the CA
    std::string server_key;          ///< PEM, private (mode 0600)
    bool renewed = false;            ///< the server certificate was renewed by this call
    std::int64_t expires = 0;        ///< the server certificate's notAfter, Unix seconds
};

/// Makes, in `folder` (0700), a CA (EC P-256, 10 years; its key kept in ca.key, 0600) and a
/// server certificate (EC P-256, 2 years) for the names and addresses in `subject_alt_names`
/// ("DNS:controller.lan", "IP:10.0.2.2"; at least one), unless they exist already (a restart
/// keeps them, so agents keep their pin). A server certificate in the last third of its life (the
/// last 243 days of 2 years) is renewed: the same key, the same CA, the names given, 2 more years;
/// call it again now and then (the controller does twice a day). `now`: the time that decides
/// (Unix seconds; 0 for the clock's). Every file is written atomically. Returns the files.
CertificateFiles ensure_controller_certificates(const std::string& folder, const std::vector<std::string>& subject_alt_names,
                                                std::int64_t now = 0);

/// The key pin of a PEM certificate file (see above). Throws Error{failed} when the file is not a
/// certificate.
std::string key_pin(const std::string& pem_path);

/// The key pin of a DER SubjectPublicKeyInfo (what a handshake's certificate holds).
std::string key_pin_der(const unsigned char* der, std::size_t size);

/// The pin of a PEM certificate file: "AB:CD:…" (32 pairs). Throws Error{failed} when the file
/// is not a certificate.
std::string certificate_pin(const std::string& pem_path);

/// The pin of a certificate given as DER bytes (what a TLS handshake presents).
std::string certificate_pin_der(const unsigned char* der, std::size_t size);

/// Normalises a pin as people write it (any case, with or without ':'), or "" when it is not 32
/// hex pairs.
std::string normalised_pin(const std::string& text);

}  // namespace dagda::net
