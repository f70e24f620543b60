#pragma once
/// One kept-alive HTTP/1.1 connection, plain or TLS, with synchronous requests bounded in time:
/// what the archive reader (HttpSource) and the archive uploader (UploadSink) share. A connection
/// that cannot be made throws ConnectFailure, saying why in words an operator can act on; a link
/// that drops later throws boost::system::system_error, for the caller to retry on a new one.

#include "image/source/HttpsTrust.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/vector_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace dagda::image {

struct HttpUrl {
    bool tls = false;
    std::string host, port, target;
};

/// Throws Error{failed} for anything but an http:// or https:// URL.
HttpUrl parse_http_url(const std::string& url);

/// A connection that could not be made: the address refused or did not answer, or the TLS
/// handshake failed (the server is not the one trusted).
struct ConnectFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

using HttpResponse = boost::beast::http::response<boost::beast::http::vector_body<std::uint8_t>>;

/// One request: its method, extra header fields, and a body (none for a GET).
struct HttpRequest {
    boost::beast::http::verb verb = boost::beast::http::verb::get;
    std::vector<std::pair<std::string, std::string>> fields;
    const std::uint8_t* body = nullptr;
    std::size_t body_size = 0;
    /// The path and query asked for, already escaped; "" for the connection's URL's.
    std::string target;
};
/// The Host field for `url`: its host, with its port unless the scheme's default (RFC 9110; a
/// pre-signed URL's signature covers the port as written).
std::string host_field(const HttpUrl& url);

/// The TLS client context for `url`'s origin: verified by the check `trust` gives that origin
/// (copied into `own`, which must outlive the connections), else by the system's CAs.
void configure_client_tls(boost::asio::ssl::context& tls, const HttpUrl& url, const HttpsTrust& trust, std::optional<OriginTrust>& own);

class HttpConnection {
public:
    /// Each send and receive is bounded by this, so a server that goes quiet is an error.
    static constexpr auto io_timeout = std::chrono::seconds(30);

    /// `trust` is the origin's own check, or null for the system's CAs and the host name.
    HttpConnection(boost::asio::io_context& io, boost::asio::ssl::context& tls, const HttpUrl& url, const OriginTrust* trust);

    /// Sends `request` to the URL's target and reads the answer, whose body may hold at most
    /// `body_limit` bytes (a HEAD's is skipped).
    HttpResponse send(const HttpRequest& request, std::uint64_t body_limit);

private:
    HttpUrl url_;
    std::variant<std::unique_ptr<boost::beast::tcp_stream>, std::unique_ptr<boost::beast::ssl_stream<boost::beast::tcp_stream>>> stream_;
};

}  // namespace dagda::image
