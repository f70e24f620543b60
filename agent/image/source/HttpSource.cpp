#include "image/source/ByteSource.hpp"
#include "image/source/HttpsTrust.hpp"

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

#include <algorithm>
#include <chrono>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <variant>
#include <vector>

namespace dagda::image {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

constexpr std::size_t read_ahead = 4 << 20;        // one request fetches at least this much
constexpr int attempts = 4;                         // a dropped connection is retried, then an error
constexpr auto io_timeout = std::chrono::seconds(30);

struct HttpUrl {
    bool tls = false;
    std::string host, port, target;
};

HttpUrl parse_http_url(const std::string& url) {
    const Url parts = parse_url(url, ErrorKind::failed);
    if (parts.scheme != "http" && parts.scheme != "https") throw Error(ErrorKind::failed, url + " is not an http:// or https:// URL");
    HttpUrl out{parts.scheme == "https", parts.host, parts.port, parts.target.empty() ? "/" : parts.target};
    if (out.port.empty()) out.port = out.tls ? "443" : "80";
    return out;
}

// Beast's stream timeouts apply to asynchronous operations only; these reads are synchronous, so
// the kernel bounds each send and receive instead, and a hung server becomes an error to retry.
void set_socket_timeouts(int fd) {
    timeval tv{};
    tv.tv_sec = static_cast<decltype(tv.tv_sec)>(io_timeout.count());
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/// A connection that could not be made, and why, in words an operator can act on: the address
/// refused or did not answer, or the TLS handshake failed (the server is not the one trusted).
struct ConnectFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// One kept-alive connection, plain or TLS.
class Connection {
public:
    /// `trust` is the origin's own check, or null for the system's CAs and the host name.
    Connection(net::io_context& io, ssl::context& tls, const HttpUrl& url, const OriginTrust* trust) : url_(url) {
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

    http::response<http::vector_body<std::uint8_t>> request(http::verb verb, const std::string& range) {
        http::request<http::empty_body> req{verb, url_.target, 11};
        req.set(http::field::host, url_.host);
        req.set(http::field::user_agent, "dagda/0.1");
        if (!range.empty()) req.set(http::field::range, range);
        http::response_parser<http::vector_body<std::uint8_t>> parser;
        parser.body_limit(read_ahead + (1 << 20) + 128 * 1024 * 1024);  // chunk reads stay far below this
        if (verb == http::verb::head) parser.skip(true);
        beast::flat_buffer buffer;
        std::visit([&](auto& stream) {
            beast::get_lowest_layer(*stream).expires_after(io_timeout);
            http::write(*stream, req);
            http::read(*stream, buffer, parser);
        }, stream_);
        return parser.release();
    }

private:
    static void connect(beast::tcp_stream& stream, const tcp::resolver::results_type& endpoints, const HttpUrl& url) {
        boost::system::error_code failed;
        stream.connect(endpoints, failed);
        if (failed) throw ConnectFailure("cannot connect to " + url.host + ":" + url.port + " (" + failed.message() + ")");
    }

    HttpUrl url_;
    std::variant<std::unique_ptr<beast::tcp_stream>, std::unique_ptr<beast::ssl_stream<beast::tcp_stream>>> stream_;
};

class HttpSource final : public ByteSource {
public:
    HttpSource(const std::string& url, const HttpsTrust& trust) : url_(parse_http_url(url)), name_(url), tls_(ssl::context::tls_client) {
        // Only this source's own origin matters; its trust is copied, so the source keeps none
        // of the caller's state.
        if (const OriginTrust* own = trust.find(url_.host, url_.port)) trust_ = *own;
        // An origin with its own CA (the agent's controller) never consults the system's store.
        if (trust_ && !trust_->ca_file.empty()) tls_.load_verify_file(trust_->ca_file);
        else if (!trust_) tls_.set_default_verify_paths();
        tls_.set_verify_mode(ssl::verify_peer);
        size_ = probe_size();
    }

    std::uint64_t size() const override { return size_; }
    const std::string& name() const override { return name_; }

    void read_at(std::uint64_t offset, void* buffer, std::size_t length) override {
        if (offset > size_ || length > size_ - offset)
            throw Error(ErrorKind::failed, name_ + ": wanted " + std::to_string(length) + " bytes at offset " +
                                               std::to_string(offset) + ", past the end (" + std::to_string(size_) + " bytes)");
        auto* out = static_cast<std::uint8_t*>(buffer);
        while (length > 0) {
            const std::size_t got = read_cached(offset, out, length);
            offset += got;
            out += got;
            length -= got;
        }
    }

private:
    struct Cached {
        std::uint64_t offset = 0;
        std::vector<std::uint8_t> bytes;
    };

    std::uint64_t probe_size() {
        // HEAD gives the size; a server that ignores Range would send whole archives, so the
        // first ranged read below is checked for 206 as well.
        auto response = send(http::verb::head, "");
        if (response.result() != http::status::ok)
            throw Error(ErrorKind::failed, name_ + ": the server answered " + std::to_string(response.result_int()));
        const auto length = response[http::field::content_length];
        if (length.empty()) throw Error(ErrorKind::failed, name_ + ": the server does not say how large the archive is");
        return std::stoull(std::string(length));
    }

    std::size_t read_cached(std::uint64_t offset, std::uint8_t* out, std::size_t length) {
        {
            const std::lock_guard<std::mutex> lock(cache_mutex_);
            for (const Cached& c : cache_)
                if (offset >= c.offset && offset < c.offset + c.bytes.size()) {
                    const std::size_t n = std::min<std::uint64_t>(length, c.offset + c.bytes.size() - offset);
                    std::copy_n(c.bytes.begin() + static_cast<std::ptrdiff_t>(offset - c.offset), n, out);
                    return n;
                }
        }
        Cached fresh{offset, fetch(offset, static_cast<std::size_t>(std::min<std::uint64_t>(std::max(length, read_ahead), size_ - offset)))};
        const std::size_t n = std::min(length, fresh.bytes.size());
        std::copy_n(fresh.bytes.begin(), n, out);
        const std::lock_guard<std::mutex> lock(cache_mutex_);
        if (cache_.size() >= 4) cache_.erase(cache_.begin());  // one recent block per reader thread
        cache_.push_back(std::move(fresh));
        return n;
    }

    std::vector<std::uint8_t> fetch(std::uint64_t offset, std::size_t length) {
        const std::string range = "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1);
        auto response = send(http::verb::get, range);
        if (response.result() != http::status::partial_content)
            throw Error(ErrorKind::failed, name_ + ": the server answered " + std::to_string(response.result_int()) +
                                               " to a range request (it must support HTTP ranges)");
        if (response.body().size() != length)
            throw Error(ErrorKind::failed, name_ + ": the server sent " + std::to_string(response.body().size()) +
                                               " bytes for a range of " + std::to_string(length) + " at offset " +
                                               std::to_string(offset));
        return std::move(response.body());
    }

    // Runs a request on an idle connection (or a new one), retrying on a fresh connection when
    // the link drops; a server that keeps failing is an error naming the URL.
    http::response<http::vector_body<std::uint8_t>> send(http::verb verb, const std::string& range) {
        std::string last_error, cannot_connect;
        for (int attempt = 0; attempt < attempts; ++attempt) {
            std::unique_ptr<Connection> connection = take_idle();
            try {
                if (!connection) connection = std::make_unique<Connection>(io_, tls_, url_, trust_ ? &*trust_ : nullptr);
                auto response = connection->request(verb, range);
                if (response.keep_alive()) give_back(std::move(connection));
                return response;
            } catch (const ConnectFailure& e) {
                cannot_connect = e.what();  // said as it is, not as a server that went quiet
            } catch (const boost::system::system_error& e) {
                last_error = e.code().message();
                cannot_connect.clear();
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100 << attempt));
        }
        if (!cannot_connect.empty()) throw Error(ErrorKind::failed, name_ + ": " + cannot_connect);
        throw Error(ErrorKind::failed, name_ + ": the server stopped answering (" + last_error + ")");
    }

    std::unique_ptr<Connection> take_idle() {
        const std::lock_guard<std::mutex> lock(pool_mutex_);
        if (idle_.empty()) return nullptr;
        auto connection = std::move(idle_.back());
        idle_.pop_back();
        return connection;
    }

    void give_back(std::unique_ptr<Connection> connection) {
        const std::lock_guard<std::mutex> lock(pool_mutex_);
        idle_.push_back(std::move(connection));
    }

    HttpUrl url_;
    std::string name_;
    std::optional<OriginTrust> trust_;  ///< this origin's own check; none: the system's CAs
    net::io_context io_;
    ssl::context tls_;
    std::uint64_t size_ = 0;
    std::mutex pool_mutex_;
    std::vector<std::unique_ptr<Connection>> idle_;
    std::mutex cache_mutex_;
    std::vector<Cached> cache_;
};

}  // namespace

bool is_url(const std::string& location) {
    return location.rfind("http://", 0) == 0 || location.rfind("https://", 0) == 0;
}

std::unique_ptr<ByteSource> open_http_source(const std::string& url, const HttpsTrust& trust) {
    return std::make_unique<HttpSource>(url, trust);
}

std::unique_ptr<ByteSource> open_source(const std::string& location, const HttpsTrust& trust) {
    return is_url(location) ? open_http_source(location, trust) : open_file_source(location);
}

std::unique_ptr<ByteSource> open_source(const std::string& location) { return open_source(location, HttpsTrust{}); }

}  // namespace dagda::image
