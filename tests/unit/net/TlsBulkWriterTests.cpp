// The bulk TLS writer on a real TLS connection over loopback: the peer reads exactly the bytes
// written, and the connection's own stream goes on working in both directions around the bulk
// writes, in TLS 1.3 and 1.2.

#include "net/Certificates.hpp"
#include "net/TlsBulkWriter.hpp"
#include "net/TlsTrust.hpp"

#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

#include <openssl/ssl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <string>

using namespace dagda;
namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;
using asio::use_awaitable;

namespace {

/// A coroutine's end: its exception's text kept in `failure`.
auto remember(std::string& failure) {
    return [&failure](std::exception_ptr thrown) {
        if (!thrown) return;
        try {
            std::rethrow_exception(thrown);
        } catch (const std::exception& e) {
            failure = e.what();
        }
    };
}

/// What the client received, and what the server read back from it.
struct Exchange {
    std::string received, heard, sealed;
};

/// A server writing with the bulk writer between its stream's own writes, and a client reading.
Exchange exchange(int tls_version, const std::string& body) {
    testing::TempDir dir;
    const net::CertificateFiles files = net::ensure_controller_certificates(dir.file("tls"), {"IP:127.0.0.1"});
    asio::ssl::context server_tls(asio::ssl::context::tls_server);
    server_tls.use_certificate_chain_file(files.server_certificate);
    server_tls.use_private_key_file(files.server_key, asio::ssl::context::pem);
    asio::ssl::context client_tls = net::client_context({"", files.ca_certificate});
    REQUIRE(SSL_CTX_set_max_proto_version(client_tls.native_handle(), tls_version) == 1);

    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    Exchange out;
    std::string server_failure, client_failure;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            beast::ssl_stream<beast::tcp_stream> stream(co_await acceptor.async_accept(use_awaitable), server_tls);
            beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
            co_await stream.async_handshake(asio::ssl::stream_base::server, use_awaitable);
            net::TlsBulkWriter writer;
            co_await asio::async_write(stream, asio::buffer(std::string("head|")), use_awaitable);
            co_await writer.write(stream, asio::buffer(body));
            CHECK(writer.records().empty());
            co_await asio::async_write(stream, asio::buffer(std::string("|middle|")), use_awaitable);
            // seal() alone: the piece is in our buffer as records (a header and a tag more than
            // the plaintext, none of it in clear), written to the socket under the TLS layer.
            writer.seal(stream.native_handle(), asio::buffer(body.data(), 1000));
            out.sealed = writer.records();
            co_await asio::async_write(beast::get_lowest_layer(stream), asio::buffer(writer.records()), use_awaitable);
            writer.records().clear();
            co_await asio::async_write(stream, asio::buffer(std::string("|end\n")), use_awaitable);
            // The client's answer is read through the stream after the bulk writes.
            std::string line;
            co_await asio::async_read_until(stream, asio::dynamic_buffer(line), '\n', use_awaitable);
            out.heard = line;
            co_await writer.write(stream, asio::buffer(std::string("bye\n")));
            co_await stream.async_shutdown(use_awaitable);
        },
        remember(server_failure));
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            asio::ssl::stream<tcp::socket> client(io, client_tls);
            co_await client.next_layer().async_connect(acceptor.local_endpoint(), use_awaitable);
            co_await client.async_handshake(asio::ssl::stream_base::client, use_awaitable);
            co_await asio::async_read_until(client, asio::dynamic_buffer(out.received), "|end\n", use_awaitable);
            co_await asio::async_write(client, asio::buffer(std::string("thanks\n")), use_awaitable);
            co_await asio::async_read_until(client, asio::dynamic_buffer(out.received), "bye\n", use_awaitable);
            co_await client.async_shutdown(use_awaitable);  // both sides' close_notify: nothing cut short
        },
        remember(client_failure));
    io.run_for(std::chrono::seconds(60));
    INFO(server_failure << " / " << client_failure);
    CHECK(server_failure.empty());
    CHECK(client_failure.empty());
    return out;
}

}  // namespace

TEST_CASE("TlsBulkWriter: the peer reads the exact bytes, and the stream works on around them", "[net][tls]") {
    const std::string body = testing::random_bytes((3u << 20) + 12345, 7);
    const std::string expected = "head|" + body + "|middle|" + body.substr(0, 1000) + "|end\nbye\n";
    SECTION("TLS 1.3") {
        const Exchange got = exchange(TLS1_3_VERSION, body);
        CHECK(got.received.size() == expected.size());
        CHECK(got.received == expected);
        CHECK(got.heard == "thanks\n");
        CHECK(got.sealed.size() == 1000 + 22);  // a record: 5-byte header, content type, 16-byte tag
        CHECK(got.sealed.find(body.substr(0, 64)) == std::string::npos);
    }
    SECTION("TLS 1.2") {
        const Exchange got = exchange(TLS1_2_VERSION, body);
        CHECK(got.received.size() == expected.size());
        CHECK(got.received == expected);
        CHECK(got.heard == "thanks\n");
        CHECK(got.sealed.size() == 1000 + 29);  // a record: 5-byte header, 8-byte explicit nonce, 16-byte tag
        CHECK(got.sealed.find(body.substr(0, 64)) == std::string::npos);
    }
}
