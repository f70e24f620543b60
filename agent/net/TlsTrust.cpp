#include "net/TlsTrust.hpp"

#include "core/Error.hpp"
#include "net/Certificates.hpp"

#include <boost/asio/ssl/host_name_verification.hpp>

#include <openssl/x509.h>

#include <filesystem>
#include <vector>

namespace dagda::net {

std::string presented_pin(boost::asio::ssl::verify_context& context) noexcept {
    try {
        X509* certificate = X509_STORE_CTX_get_current_cert(context.native_handle());
        if (!certificate) return "";
        const int size = i2d_X509(certificate, nullptr);
        if (size <= 0) return "";
        std::vector<unsigned char> der(static_cast<std::size_t>(size));
        unsigned char* out = der.data();
        if (i2d_X509(certificate, &out) != size) return "";
        return certificate_pin_der(der.data(), der.size());
    } catch (...) {
        return "";
    }
}

std::string presented_key_pin(boost::asio::ssl::verify_context& context) noexcept {
    try {
        X509* certificate = X509_STORE_CTX_get_current_cert(context.native_handle());
        X509_PUBKEY* key = certificate ? X509_get_X509_PUBKEY(certificate) : nullptr;
        const int size = key ? i2d_X509_PUBKEY(key, nullptr) : 0;
        if (size <= 0) return "";
        std::vector<unsigned char> der(static_cast<std::size_t>(size));
        unsigned char* out = der.data();
        if (i2d_X509_PUBKEY(key, &out) != size) return "";
        return key_pin_der(der.data(), der.size());
    } catch (...) {
        return "";
    }
}

ServerTrust::ServerTrust(TrustSpec spec, std::string host)
    : pin_(normalised_pin(spec.pin)), host_(std::move(host)), use_ca_(!spec.ca_file.empty()), refusal_(std::make_shared<std::string>()) {}

bool ServerTrust::operator()(bool preverified, boost::asio::ssl::verify_context& context) noexcept {
    try {
        const int depth = X509_STORE_CTX_get_error_depth(context.native_handle());
        if (use_ca_) {
            if (!preverified) {
                *refusal_ = "the controller's certificate does not chain to the CA given (" +
                            std::string(X509_verify_cert_error_string(X509_STORE_CTX_get_error(context.native_handle()))) + ")";
                return false;
            }
            if (depth > 0) return true;
            if (!boost::asio::ssl::host_name_verification(host_)(preverified, context)) {
                *refusal_ = "the controller's certificate does not name " + host_;
                return false;
            }
            return true;
        }
        // Pinned: the chain above the server certificate is not the trust anchor, so its own
        // verdict (a self-made CA is never "trusted") is set aside; only the leaf's pin counts:
        // its key's (which a renewal keeps), or the certificate's own (the older pins).
        if (depth > 0) return true;
        const std::string key = presented_key_pin(context);
        if (!pin_.empty() && (key == pin_ || normalised_pin(presented_pin(context)) == pin_)) return true;
        *refusal_ = "the controller's certificate (key pin " + key + ") does not match the pin given";
        return false;
    } catch (...) {
        *refusal_ = "the controller's certificate could not be checked";
        return false;
    }
}

boost::asio::ssl::context client_context(const TrustSpec& spec) {
    if (spec.pin.empty() == spec.ca_file.empty())
        throw Error(ErrorKind::usage, "give the controller's certificate pin or its CA file (exactly one)");
    if (!spec.pin.empty() && normalised_pin(spec.pin).empty())
        throw Error(ErrorKind::usage, "the pin \"" + spec.pin + "\" is not a SHA-256 fingerprint (32 hex pairs)");
    boost::asio::ssl::context context(boost::asio::ssl::context::tls_client);
    context.set_options(boost::asio::ssl::context::no_sslv2 | boost::asio::ssl::context::no_sslv3 |
                        boost::asio::ssl::context::no_tlsv1 | boost::asio::ssl::context::no_tlsv1_1);
    context.set_verify_mode(boost::asio::ssl::verify_peer);
    if (!spec.ca_file.empty()) {
        if (!std::filesystem::is_regular_file(spec.ca_file))
            throw Error(ErrorKind::usage, "the controller CA file " + spec.ca_file + " does not exist");
        boost::system::error_code error;
        context.load_verify_file(spec.ca_file, error);
        if (error) throw Error(ErrorKind::usage, "the controller CA file " + spec.ca_file + " is not a PEM certificate: " + error.message());
    }
    return context;
}

}  // namespace dagda::net
