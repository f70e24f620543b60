// The controller's own CA and certificate, checked with the openssl tool, and certificate pins.

#include "net/Certificates.hpp"

#include "common/Run.hpp"
#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

#include <cctype>
#include <ctime>
#include <filesystem>
#include <sys/stat.h>

using namespace dagda;
using dagda::testing::TempDir;
namespace testing = dagda::testing;

TEST_CASE("Certificates: a CA and a controller certificate openssl verifies, kept across restarts", "[net][tls]") {
    TempDir dir;
    if (!testing::have_program("openssl")) FAIL("missing: openssl");
    const std::string folder = dir.file("tls");
    const net::CertificateFiles files = net::ensure_controller_certificates(folder, {"DNS:controller.lan", "IP:127.0.0.1", "IP:10.0.2.2"});
    const auto verified = testing::run("openssl verify -purpose sslserver -CAfile " + testing::sh_quote(files.ca_certificate) + " " +
                                       testing::sh_quote(files.server_certificate));
    INFO(verified.err);
    CHECK(verified.exit_code == 0);
    const std::string text = testing::run("openssl x509 -noout -text -in " + testing::sh_quote(files.server_certificate)).out;
    CHECK_THAT(text, Catch::Contains("DNS:controller.lan") && Catch::Contains("IP Address:10.0.2.2") && Catch::Contains("TLS Web Server Authentication"));
    CHECK_THAT(testing::run("openssl x509 -noout -text -in " + testing::sh_quote(files.ca_certificate)).out, Catch::Contains("CA:TRUE"));
    struct stat key {};
    REQUIRE(::stat(files.server_key.c_str(), &key) == 0);
    CHECK((key.st_mode & 0777) == 0600);
    REQUIRE(::stat((folder + "/ca.key").c_str(), &key) == 0);  // kept to issue the next certificate
    CHECK((key.st_mode & 0777) == 0600);
    REQUIRE(::stat(folder.c_str(), &key) == 0);
    CHECK((key.st_mode & 0777) == 0700);
    CHECK_FALSE(std::filesystem::exists(files.server_key + ".new"));

    // The pin is what openssl calls the SHA-256 fingerprint.
    const std::string printed = testing::run("openssl x509 -noout -fingerprint -sha256 -in " + testing::sh_quote(files.server_certificate)).out;
    const std::string pin = net::certificate_pin(files.server_certificate);
    CHECK(printed == "sha256 Fingerprint=" + pin + "\n");
    // A restart keeps the certificates, so agents keep their pin.
    net::ensure_controller_certificates(folder, {"IP:127.0.0.1"});
    CHECK(net::certificate_pin(files.server_certificate) == pin);
    CHECK_THROWS(net::certificate_pin(files.server_key));
    CHECK_THROWS(net::ensure_controller_certificates(dir.file("none"), {}));
    CHECK_THROWS(net::ensure_controller_certificates(dir.file("comma"), {"DNS:a.lan,email:x@y"}));
}

TEST_CASE("Certificates: the certificate is renewed in the last third of its life, and the key pin stays", "[net][tls][renewal]") {
    TempDir dir;
    REQUIRE(testing::have_program("openssl"));
    const std::string folder = dir.file("tls");
    const net::CertificateFiles first = net::ensure_controller_certificates(folder, {"IP:127.0.0.1"});
    CHECK_FALSE(first.renewed);
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    CHECK(first.expires > now + 729 * 86400);
    const std::string key_pin = net::key_pin(first.server_certificate), certificate_pin = net::certificate_pin(first.server_certificate);
    // The key pin is the SHA-256 of the SubjectPublicKeyInfo, as openssl computes it.
    const std::string spki = testing::run("openssl x509 -noout -pubkey -in " + testing::sh_quote(first.server_certificate) +
                                          " | openssl pkey -pubin -outform der | openssl dgst -sha256 -r").out;
    std::string hex;
    for (std::size_t i = 0; i < 64; ++i) hex += static_cast<char>(std::toupper(static_cast<unsigned char>(spki[i])));
    CHECK(net::normalised_pin(hex) == key_pin);

    // 400 days on: still in its first two thirds, kept as it is.
    CHECK_FALSE(net::ensure_controller_certificates(folder, {"IP:127.0.0.1"}, now + 400 * 86400).renewed);
    CHECK(net::certificate_pin(first.server_certificate) == certificate_pin);
    // 500 days on: renewed, with the same key and CA, for two more years from today.
    const net::CertificateFiles renewed = net::ensure_controller_certificates(folder, {"IP:127.0.0.1", "DNS:controller.lan"}, now + 500 * 86400);
    CHECK(renewed.renewed);
    CHECK(net::key_pin(renewed.server_certificate) == key_pin);
    CHECK(net::certificate_pin(renewed.server_certificate) != certificate_pin);
    CHECK(renewed.expires >= first.expires);
    const auto verified = testing::run("openssl verify -purpose sslserver -CAfile " + testing::sh_quote(renewed.ca_certificate) + " " +
                                       testing::sh_quote(renewed.server_certificate));
    INFO(verified.err);
    CHECK(verified.exit_code == 0);
    CHECK_THAT(testing::run("openssl x509 -noout -text -in " + testing::sh_quote(renewed.server_certificate)).out,
               Catch::Contains("DNS:controller.lan"));
    CHECK_FALSE(std::filesystem::exists(renewed.server_certificate + ".new"));
}

TEST_CASE("Certificates: pins are read as people write them", "[net][tls]") {
    std::string colons;
    for (int i = 0; i < 32; ++i) colons += (i ? ":" : "") + std::string("ab");
    std::string upper = colons;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK(net::normalised_pin(colons) == upper);
    CHECK(net::normalised_pin(std::string(64, 'f')) == net::normalised_pin(std::string(64, 'F')));
    CHECK(net::normalised_pin("ab:cd").empty());
    CHECK(net::normalised_pin(std::string(64, 'g')).empty());
}
