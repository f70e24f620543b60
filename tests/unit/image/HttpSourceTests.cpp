// Archives read over HTTP range requests from a real server on 127.0.0.1.

#include "core/Error.hpp"
#include "image/ArchiveChain.hpp"
#include "image/source/ByteSource.hpp"
#include "image/source/HttpsTrust.hpp"

#include "common/RangeServer.hpp"
#include "common/Run.hpp"
#include "common/TempDir.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/verify_context.hpp>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

using namespace dagda;
using dagda::testing::RangeServer;
using dagda::testing::TempDir;

namespace {

std::string random_file(const TempDir& dir, const std::string& name, std::size_t size) {
    const std::string bytes = testing::random_bytes(size, 7);
    std::ofstream(dir.file(name), std::ios::binary) << bytes;
    return bytes;
}

// A self-signed certificate for 127.0.0.1 in `dir` (cert.pem, key.pem).
void make_certificate(const TempDir& dir) {
    REQUIRE(dagda::testing::run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 "
                                "-addext subjectAltName=IP:127.0.0.1 -keyout " + dagda::testing::sh_quote(dir.file("key.pem")) +
                                " -out " + dagda::testing::sh_quote(dir.file("cert.pem")))
                .exit_code == 0);
}

// The SHA-256 of a certificate's DER, "AB:CD:…", as `openssl x509 -fingerprint` prints it.
std::string certificate_pin(X509* certificate) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!certificate || X509_digest(certificate, EVP_sha256(), digest, &length) != 1) return "";
    std::string pin;
    for (unsigned int i = 0; i < length; ++i) {
        char hex[4];
        std::snprintf(hex, sizeof hex, i == 0 ? "%02X" : ":%02X", digest[i]);
        pin += hex;
    }
    return pin;
}

}  // namespace

TEST_CASE("HTTP source: ranges anywhere in a file, across the read-ahead block", "[image][http][net]") {
    TempDir dir;
    const std::string bytes = random_file(dir, "data.bin", (9 << 20) + 123);
    RangeServer server(dir.path());
    auto source = image::open_source(server.url("data.bin"));
    CHECK(source->size() == bytes.size());
    for (const auto& [offset, length] : {std::pair<std::uint64_t, std::size_t>{0, 64}, {(4 << 20) - 10, 100},
                                         {bytes.size() - 64, 64}, {1 << 20, 5 << 20}}) {
        std::string got(length, '\0');
        source->read_at(offset, got.data(), length);
        CHECK(got == bytes.substr(offset, length));
    }
    CHECK_THROWS_WITH(source->read_at(bytes.size() - 10, std::string(20, '\0').data(), 20), Catch::Contains("past the end"));
}

TEST_CASE("HTTP source: a dropped connection is retried - a server without ranges is refused", "[image][http][net]") {
    TempDir dir;
    const std::string bytes = random_file(dir, "data.bin", 1 << 20);
    RangeServer server(dir.path());
    auto source = image::open_source(server.url("data.bin"));
    server.drop_next(2);
    std::string got(1000, '\0');
    source->read_at(5000, got.data(), got.size());
    CHECK(got == bytes.substr(5000, 1000));
    server.drop_next(10);  // more drops than retries: an error naming the URL, never bad data
    const auto open_and_read = [&] {
        // The size is asked with a ranged GET as well, so the open may be what fails.
        auto fresh = image::open_source(server.url("data.bin"));
        fresh->read_at(0, got.data(), got.size());
    };
    CHECK_THROWS_WITH(open_and_read(), Catch::Contains("stopped answering") && Catch::Contains(server.url("data.bin")));
    server.drop_next(0);
    server.ignore_ranges(true);
    CHECK_THROWS_WITH(image::open_source(server.url("data.bin")), Catch::Contains("must support HTTP ranges"));
    CHECK_THROWS_WITH(image::open_source(server.url("missing.bin")), Catch::Contains("404"));
}

TEST_CASE("HTTP source: an address that refuses and a TLS handshake that fails are said as what they are", "[image][http][net]") {
    TempDir dir;
    random_file(dir, "data.bin", 4096);
    RangeServer server(dir.path());
    // A port nothing listens on: refused, and said so, not "the server stopped answering".
    unsigned short closed_port = 0;
    {
        boost::asio::io_context io;
        boost::asio::ip::tcp::acceptor probe(io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
        closed_port = probe.local_endpoint().port();
    }
    const std::string closed = "http://127.0.0.1:" + std::to_string(closed_port) + "/data.bin";
    CHECK_THROWS_WITH(image::open_source(closed), Catch::Contains("cannot connect to 127.0.0.1:" + std::to_string(closed_port)) &&
                                                      Catch::Contains("refused") && !Catch::Contains("stopped answering"));
    // An https:// server whose self-made certificate nobody trusts: the handshake fails, and the
    // message says so.
    make_certificate(dir);
    RangeServer untrusted(dir.path(), dir.file("cert.pem"), dir.file("key.pem"));
    CHECK_THROWS_WITH(image::open_source(untrusted.url("data.bin")),
                      Catch::Contains("TLS handshake with 127.0.0.1") && Catch::Contains("certificate") && !Catch::Contains("stopped answering"));
}

TEST_CASE("HTTP source: a trust given to one source is that source's only, never another's", "[image][http][net]") {
    TempDir dir;
    const std::string bytes = random_file(dir, "data.bin", 4096);
    make_certificate(dir);
    const auto fingerprint = dagda::testing::run("openssl x509 -noout -fingerprint -sha256 -in " + dagda::testing::sh_quote(dir.file("cert.pem")));
    REQUIRE(fingerprint.exit_code == 0);
    const std::string pin = fingerprint.out.substr(fingerprint.out.find('=') + 1, 95);  // 32 bytes "AB:…"
    REQUIRE(pin.size() == 95);
    RangeServer server(dir.path(), dir.file("cert.pem"), dir.file("key.pem"));
    const std::string url = server.url("data.bin");
    REQUIRE(url.rfind("https://127.0.0.1:", 0) == 0);
    const std::string port = url.substr(18, url.find('/', 18) - 18);

    // The certificate is accepted by its pin alone, as the agent trusts its controller's origin.
    image::HttpsTrust trust;
    trust.trust_origin("127.0.0.1", port, {[pin](bool, boost::asio::ssl::verify_context& context) {
                                               return certificate_pin(X509_STORE_CTX_get_current_cert(context.native_handle())) == pin;
                                           },
                                           ""});
    auto trusted = image::open_source(url, trust);
    std::string got(bytes.size(), '\0');
    trusted->read_at(0, got.data(), got.size());
    CHECK(got == bytes);

    // The same origin, opened after and while the trusted source lives, without the trust: the
    // system's CAs decide, and they do not know this certificate.
    CHECK_THROWS_WITH(image::open_source(url), Catch::Contains("TLS handshake with 127.0.0.1") &&
                                                   Catch::Contains("does not chain to a CA this machine trusts"));
    CHECK_THROWS_WITH(image::ArchiveChain(url), Catch::Contains("TLS handshake with 127.0.0.1"));
    // Another origin's trust does not reach this one either.
    image::HttpsTrust elsewhere;
    elsewhere.trust_origin("127.0.0.1", "1", {[](bool, boost::asio::ssl::verify_context&) { return true; }, ""});
    CHECK_THROWS_WITH(image::open_source(url, elsewhere), Catch::Contains("TLS handshake with 127.0.0.1"));
    // A wrong pin is refused, and said to be the trusted pin or CA that did not match.
    image::HttpsTrust wrong;
    wrong.trust_origin("127.0.0.1", port, {[](bool, boost::asio::ssl::verify_context&) { return false; }, ""});
    CHECK_THROWS_WITH(image::open_source(url, wrong), Catch::Contains("not the controller's trusted pin or CA"));
    // The trusted source still reads: nothing the others did changed it.
    trusted->read_at(100, got.data(), 10);
    CHECK(got.substr(0, 10) == bytes.substr(100, 10));
}
