#include "image/source/ByteSource.hpp"
#include "image/source/HttpConnection.hpp"

#include "core/Error.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace dagda::image {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;

namespace {

constexpr std::size_t read_ahead = 4 << 20;        // one request fetches at least this much
constexpr int attempts = 4;                         // a dropped connection is retried, then an error
// Chunk reads stay far below this.
constexpr std::uint64_t response_limit = read_ahead + (1 << 20) + 128 * 1024 * 1024;

class HttpSource final : public ByteSource {
public:
    HttpSource(const std::string& url, const HttpsTrust& trust) : url_(parse_http_url(url)), name_(url.substr(0, url.find('?'))), tls_(ssl::context::tls_client) {
        configure_client_tls(tls_, url_, trust, trust_);
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
        // The first byte's range gives the size in its Content-Range: one GET, which a pre-signed
        // object-store URL allows (its signature covers GET only, so a HEAD would be refused), and
        // which proves at once that the server honours ranges.
        auto response = send(http::verb::get, "bytes=0-0");
        if (response.result() != http::status::partial_content)
            throw Error(ErrorKind::failed, name_ + ": the server answered " + std::to_string(response.result_int()) +
                                               " to a range request (it must support HTTP ranges)");
        const std::string range(response[http::field::content_range]);
        const std::size_t slash = range.rfind('/');
        if (range.rfind("bytes 0-0/", 0) != 0 || slash + 1 >= range.size() ||
            range.find_first_not_of("0123456789", slash + 1) != std::string::npos || range.size() - slash > 20)
            throw Error(ErrorKind::failed, name_ + ": the server does not say how large the archive is (Content-Range \"" + range.substr(0, 80) + "\")");
        return std::stoull(range.substr(slash + 1));
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
    HttpResponse send(http::verb verb, const std::string& range) {
        std::string last_error, cannot_connect;
        for (int attempt = 0; attempt < attempts; ++attempt) {
            std::unique_ptr<HttpConnection> connection = take_idle();
            try {
                if (!connection) connection = std::make_unique<HttpConnection>(io_, tls_, url_, trust_ ? &*trust_ : nullptr);
                HttpRequest request;
                request.verb = verb;
                if (!range.empty()) request.fields.emplace_back("Range", range);
                auto response = connection->send(request, response_limit);
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

    std::unique_ptr<HttpConnection> take_idle() {
        const std::lock_guard<std::mutex> lock(pool_mutex_);
        if (idle_.empty()) return nullptr;
        auto connection = std::move(idle_.back());
        idle_.pop_back();
        return connection;
    }

    void give_back(std::unique_ptr<HttpConnection> connection) {
        const std::lock_guard<std::mutex> lock(pool_mutex_);
        idle_.push_back(std::move(connection));
    }

    HttpUrl url_;
    std::string name_;  ///< the URL without its query: a pre-signed URL's signature is a secret while it lasts
    std::optional<OriginTrust> trust_;  ///< this origin's own check; none: the system's CAs
    net::io_context io_;
    ssl::context tls_;
    std::uint64_t size_ = 0;
    std::mutex pool_mutex_;
    std::vector<std::unique_ptr<HttpConnection>> idle_;
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
    if (!is_url(location)) return open_file_source(location);
    // An address without a query is read through its pre-signed URL where the trust holds one:
    // a program is named the object's address, and its signature stays in the owner-only file
    // of --archive-urls instead of on a command line every local user can read.
    return open_http_source(location.find('?') == std::string::npos ? trust.signed_url(location) : location, trust);
}

std::unique_ptr<ByteSource> open_source(const std::string& location) { return open_source(location, HttpsTrust{}); }

}  // namespace dagda::image
