#include "net/Certificates.hpp"

#include "core/Error.hpp"
#include "core/OwnerOnlyFile.hpp"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include <sys/stat.h>

#include <cctype>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>

namespace dagda::net {

namespace {

template <typename T, void (*Free)(T*)>
struct Freer {
    void operator()(T* p) const noexcept { Free(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Freer<EVP_PKEY, EVP_PKEY_free>>;
using Certificate = std::unique_ptr<X509, Freer<X509, X509_free>>;
using Bio = std::unique_ptr<BIO, Freer<BIO, BIO_free_all>>;
using Extension = std::unique_ptr<X509_EXTENSION, Freer<X509_EXTENSION, X509_EXTENSION_free>>;
using BigNumber = std::unique_ptr<BIGNUM, Freer<BIGNUM, BN_free>>;

[[noreturn]] void fail(const std::string& what) { throw Error(ErrorKind::failed, "certificates: " + what); }

Key new_key() {
    Key key(EVP_EC_gen("P-256"));
    if (!key) fail("cannot make an EC key");
    return key;
}

void add_extension(X509* certificate, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
    Extension extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
    if (!extension || !X509_add_ext(certificate, extension.get(), -1)) fail("cannot add the extension " + value);
}

Certificate new_certificate(EVP_PKEY* key, const std::string& common_name, long days) {
    Certificate certificate(X509_new());
    BigNumber serial(BN_new());
    if (!certificate || !serial || !X509_set_version(certificate.get(), 2) || !BN_rand(serial.get(), 120, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
        !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(certificate.get())) ||
        !X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(certificate.get()), days * 86400) || !X509_set_pubkey(certificate.get(), key))
        fail("cannot make a certificate");
    X509_NAME* name = X509_get_subject_name(certificate.get());
    if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0))
        fail("cannot name a certificate");
    return certificate;
}

/// Writes a certificate or a private key to `path` atomically (write_owner_only, durable): a
/// crash leaves the old set or no file, never a file cut short.
void write_pem(const std::string& path, X509* certificate, EVP_PKEY* key) {
    Bio out(BIO_new(key ? BIO_s_secmem() : BIO_s_mem()));  // a key's text is cleared from memory when freed
    const bool written = out && (key ? PEM_write_bio_PrivateKey(out.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1
                                     : PEM_write_bio_X509(out.get(), certificate) == 1);
    char* text = nullptr;
    const long size = written ? BIO_get_mem_data(out.get(), &text) : 0;
    if (size <= 0) fail("cannot encode " + path + " as PEM");
    write_owner_only(path, std::string_view(text, static_cast<std::size_t>(size)), Durability::durable);
}

Certificate read_certificate(const std::string& path) {
    Bio in(BIO_new_file(path.c_str(), "r"));
    Certificate certificate(in ? PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!certificate) throw Error(ErrorKind::failed, path + " is not a PEM certificate");
    return certificate;
}

Key read_key(const std::string& path) {
    Bio in(BIO_new_file(path.c_str(), "r"));
    Key key(in ? PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!key) throw Error(ErrorKind::failed, path + " is not a PEM private key");
    return key;
}

/// A certificate time as Unix seconds.
std::int64_t unix_time(const ASN1_TIME* time) {
    std::tm parts{};
    if (!ASN1_TIME_to_tm(time, &parts)) fail("a certificate has a time OpenSSL cannot read");
    return static_cast<std::int64_t>(::timegm(&parts));
}

constexpr long server_days = 730;

/// A server certificate for `key` and `subject_alt_names`, signed by the CA.
Certificate new_server_certificate(EVP_PKEY* key, X509* ca, EVP_PKEY* ca_key, const std::vector<std::string>& subject_alt_names) {
    Certificate server = new_certificate(key, "Dagda Rescue controller", server_days);
    X509_set_issuer_name(server.get(), X509_get_subject_name(ca));
    add_extension(server.get(), ca, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(server.get(), ca, NID_ext_key_usage, "serverAuth");
    add_extension(server.get(), ca, NID_key_usage, "critical,digitalSignature");
    add_extension(server.get(), ca, NID_authority_key_identifier, "keyid");
    std::string names;
    for (const std::string& name : subject_alt_names) names += (names.empty() ? "" : ",") + name;
    if (!names.empty()) add_extension(server.get(), ca, NID_subject_alt_name, names);
    if (!X509_sign(server.get(), ca_key, EVP_sha256())) fail("cannot sign the controller's certificate");
    return server;
}

std::string hex_pin(const unsigned char* digest) {
    std::string pin;
    for (std::size_t i = 0; i < SHA256_DIGEST_LENGTH; ++i) {
        char pair[4];
        std::snprintf(pair, sizeof pair, "%02X", digest[i]);
        pin += (pin.empty() ? "" : ":") + std::string(pair);
    }
    return pin;
}

}  // namespace

CertificateFiles ensure_controller_certificates(const std::string& folder, const std::vector<std::string>& subject_alt_names,
                                                std::int64_t now) {
    if (now == 0) now = static_cast<std::int64_t>(std::time(nullptr));
    if (subject_alt_names.empty()) fail("the controller's certificate needs at least one name or address (DNS:… or IP:…)");
    for (const std::string& name : subject_alt_names)
        if (name.find(',') != std::string::npos || (name.rfind("DNS:", 0) != 0 && name.rfind("IP:", 0) != 0))
            fail("\"" + name + "\" is not DNS:name or IP:address");
    std::filesystem::create_directories(folder);
    ::chmod(folder.c_str(), 0700);  // the keys live here
    const CertificateFiles files{folder + "/ca.pem", folder + "/controller.pem", folder + "/controller.key"};
    if (std::filesystem::exists(files.ca_certificate) && std::filesystem::exists(files.server_certificate) &&
        std::filesystem::exists(files.server_key)) {
        CertificateFiles kept = files;
        const Certificate current = read_certificate(files.server_certificate);
        const std::int64_t born = unix_time(X509_get0_notBefore(current.get())), expires = unix_time(X509_get0_notAfter(current.get()));
        kept.expires = expires;
        // Renewed in the last third of its life: months before it expires, so a controller that
        // runs now and then still renews in time; the key stays, and with it the agents' pin.
        if (now < expires - (expires - born) / 3) return kept;
        const Key key = read_key(files.server_key);
        const Certificate ca = read_certificate(files.ca_certificate);
        const Key ca_key = read_key(folder + "/ca.key");
        const Certificate renewed = new_server_certificate(key.get(), ca.get(), ca_key.get(), subject_alt_names);
        write_pem(files.server_certificate, renewed.get(), nullptr);
        kept.renewed = true;
        kept.expires = unix_time(X509_get0_notAfter(renewed.get()));
        return kept;
    }
    const Key ca_key = new_key();
    const Certificate ca = new_certificate(ca_key.get(), "Dagda Rescue controller CA", 3650);
    X509_set_issuer_name(ca.get(), X509_get_subject_name(ca.get()));
    add_extension(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_extension(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    add_extension(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
    if (!X509_sign(ca.get(), ca_key.get(), EVP_sha256())) fail("cannot sign the CA");

    const Key key = new_key();
    const Certificate server = new_server_certificate(key.get(), ca.get(), ca_key.get(), subject_alt_names);

    // The CA's key is kept (0600) to issue the next server certificate without changing the CA
    // agents were given.
    write_pem(folder + "/ca.key", nullptr, ca_key.get());
    write_pem(files.server_key, nullptr, key.get());
    write_pem(files.server_certificate, server.get(), nullptr);
    write_pem(files.ca_certificate, ca.get(), nullptr);  // last: its presence says the set is complete
    CertificateFiles made = files;
    made.expires = unix_time(X509_get0_notAfter(server.get()));
    return made;
}

std::string certificate_pin_der(const unsigned char* der, std::size_t size) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(der, size, digest);
    return hex_pin(digest);
}

std::string key_pin_der(const unsigned char* der, std::size_t size) { return certificate_pin_der(der, size); }

std::string key_pin(const std::string& pem_path) {
    const Certificate certificate = read_certificate(pem_path);
    unsigned char* der = nullptr;
    const int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(certificate.get()), &der);
    if (length <= 0) throw Error(ErrorKind::failed, pem_path + ": cannot encode the certificate's key");
    const std::string pin = key_pin_der(der, static_cast<std::size_t>(length));
    OPENSSL_free(der);
    return pin;
}

std::string certificate_pin(const std::string& pem_path) {
    const Certificate certificate = read_certificate(pem_path);
    unsigned char* der = nullptr;
    const int length = i2d_X509(certificate.get(), &der);
    if (length <= 0) throw Error(ErrorKind::failed, pem_path + ": cannot encode the certificate");
    const std::string pin = certificate_pin_der(der, static_cast<std::size_t>(length));
    OPENSSL_free(der);
    return pin;
}

std::string normalised_pin(const std::string& text) {
    std::string hex;
    for (const char c : text) {
        if (c == ':') continue;
        if (!std::isxdigit(static_cast<unsigned char>(c))) return {};
        hex += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    if (hex.size() != 64) return {};
    std::string pin;
    for (std::size_t i = 0; i < hex.size(); i += 2) pin += (i ? ":" : "") + hex.substr(i, 2);
    return pin;
}

}  // namespace dagda::net
