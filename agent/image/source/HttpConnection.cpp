#include "image/source/HttpConnection.hpp"

#include "core/Error.hpp"
#include "core/Url.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <sys/socket.h>
#include <sys/time.h>

namespace dagda::image {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

// Beast's stream timeouts apply to asynchronous operations only; these requests are synchronous,
// so the kernel bounds each send and receive instead, and a hung server becomes an error to retry.
void set_socket_timeouts(int fd) {
    timeval tv{};
    tv.tv_sec = static_cast<decltype(tv.tv_sec)>(HttpConnection::io_timeout.count());
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

void connect(beast::tcp_stream& stream, const tcp::resolver::results_type& endpoints, const HttpUrl& url) {
    boost::system::error_code failed;
    stream.connect(endpoints, failed);
    if (failed) throw ConnectFailure("cannot connect to " + url.host + ":" + url.port + " (" + failed.message() + ")");
}

}  // namespace

HttpUrl parse_http_url(const std::string& url) {
    const Url parts = parse_url(url, ErrorKind::failed);
    if (parts.scheme != "http" && parts.scheme != "https") throw Error(ErrorKind::failed, url + " is not an http:// or https:// URL");
    HttpUrl out{parts.scheme == "https", parts.host, parts.port, parts.target.empty() ? "/" : parts.target};
    if (out.port.empty()) out.port = out.tls ? "443" : "80";
    return out;
}

std::string host_field(const HttpUrl& url) {
    const std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
    return url.port == (url.tls ? "443" : "80") ? host : host + ":" + url.port;
}

void configure_client_tls(ssl::context& tls, const HttpUrl& url, const HttpsTrust& trust, std::optional<OriginTrust>& own) {
    // Only this origin's trust matters, and it is copied: the caller keeps none of it alive.
    own.reset();
    if (const OriginTrust* found = trust.find(url.host, url.port)) own = *found;
    // An origin with its own CA (the agent's controller) never consults the system's store.
    if (own && !own->ca_file.empty()) tls.load_verify_file(own->ca_file);
    else if (!own) tls.set_default_verify_paths();
    tls.set_verify_mode(ssl::verify_peer);
}

HttpConnection::HttpConnection(net::io_context& io, ssl::context& tls, const HttpUrl& url, const OriginTrust* trust) : url_(url) {
    tcp::resolver resolver(io);
    const auto endpoints = resolver.resolve(url.host, url.port);
    if (url.tls) {
        auto stream = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io, tls);
        if (!SSL_set_tlsext_host_name(stream->native_handle(), url.host.c_str()))
            throw Error(ErrorKind::failed, "TLS: cannot set the server name " + url.host);
        if (trust) stream->set_verify_callback(trust->check);
        else stream->set_verify_callback(ssl::host_name_verification(url.host));
        beast::get_lowest_layer(*stream).expires_after(io_timeout);
        connect(beast::get_lowest_layer(*stream), endpoints, url);
        // Bounded before the handshake: a server that accepts and never answers is an error.
        set_socket_timeouts(beast::get_lowest_layer(*stream).socket().native_handle());
        boost::system::error_code refused;
        stream->handshake(ssl::stream_base::client, refused);
        if (refused)
            throw ConnectFailure("the TLS handshake with " + url.host + ":" + url.port + " failed (" + refused.message() + "): " +
                                 (trust ? "its certificate is not the controller's trusted pin or CA"
                                        : "its certificate does not chain to a CA this machine trusts for " + url.host));
        stream_ = std::move(stream);
    } else {
        auto stream = std::make_unique<beast::tcp_stream>(io);
        stream->expires_after(io_timeout);
        connect(*stream, endpoints, url);
        set_socket_timeouts(stream->socket().native_handle());
        stream_ = std::move(stream);
    }
}

HttpResponse HttpConnection::send(const HttpRequest& request, std::uint64_t body_limit) {
    http::request<http::buffer_body> req{request.verb, request.target.empty() ? url_.target : request.target, 11};
    req.set(http::field::host, host_field(url_));
    req.set(http::field::user_agent, "dagda/0.1");
    for (const auto& [name, value] : request.fields) req.set(name, value);
    req.body().data = const_cast<std::uint8_t*>(request.body);  // buffer_body's pointer is not const; it is only read
    req.body().size = request.body_size;
    req.body().more = false;
    if (request.body || request.verb == http::verb::put || request.verb == http::verb::post) req.content_length(request.body_size);
    http::response_parser<http::vector_body<std::uint8_t>> parser;
    parser.body_limit(body_limit);
    if (request.verb == http::verb::head) parser.skip(true);
    beast::flat_buffer buffer;
    std::visit([&](auto& stream) {
        beast::get_lowest_layer(*stream).expires_after(io_timeout);
        http::write(*stream, req);
        http::read(*stream, buffer, parser);
    }, stream_);
    return parser.release();
}

}  // namespace dagda::image
