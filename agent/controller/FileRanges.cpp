#include "controller/FileRanges.hpp"

#include "protocol/Proof.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <filesystem>
#include <stdexcept>

namespace dagda::controller {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

/// A range is read into memory before it is sent; a TIB chunk is at most 64 MiB + 4 KiB, so this
/// bounds one request's memory without refusing any read an agent makes.
constexpr std::uint64_t largest_range = 80u << 20;

std::uint64_t number(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size()) throw std::invalid_argument("not a byte position");
    return value;
}

bool plain_file_name(const std::string& name) {
    return !name.empty() && name.size() <= 255 && name.front() != '.' && name.find('/') == std::string::npos &&
           name.find('\0') == std::string::npos;
}

template <typename Body>
void common_headers(http::response<Body>& response, const http::request<http::string_body>& request) {
    response.set(http::field::server, "dagda-controller");
    response.set(http::field::accept_ranges, "bytes");
    response.keep_alive(request.keep_alive());
}

/// The threads that read ranges for the controller's I/O thread: two, as many as a restore reads
/// chunks at once. Lives until the process ends.
asio::thread_pool& file_readers() {
    static asio::thread_pool pool(2);
    return pool;
}

}  // namespace

void stop_file_readers() { file_readers().join(); }

namespace {

/// The deadline for sending `bytes`: the 30 s of a request, and a second for every 256 KiB, so a
/// PXE client on a slow UNDI driver gets its whole initramfs while a stalled peer still ends.
template <typename Stream>
void allow_time_to_send(Stream& stream, std::uint64_t bytes) {
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30 + bytes / (256 * 1024)));
}

/// `length` bytes of `path` from `first`, or nullopt when they cannot all be read.
asio::awaitable<std::optional<std::string>> read_range(std::string path, std::uint64_t first, std::uint64_t length) {
    std::optional<std::string> data(std::in_place, length, '\0');
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    std::uint64_t done = 0;
    while (fd >= 0 && done < length) {
        const ssize_t got = ::pread(fd, data->data() + done, length - done, static_cast<off_t>(first + done));
        if (got <= 0) break;
        done += static_cast<std::uint64_t>(got);
    }
    if (fd >= 0) ::close(fd);
    if (done != length) data.reset();
    co_return std::move(data);  // up to 80 MiB: moved, never copied
}

}  // namespace

std::optional<ByteRange> requested_range(const std::string& header, std::uint64_t size) {
    if (header.empty()) return std::nullopt;
    const std::string prefix = "bytes=";
    if (header.rfind(prefix, 0) != 0 || header.find(',') != std::string::npos) throw std::invalid_argument("only one byte range is served");
    const std::string spec = header.substr(prefix.size());
    const auto dash = spec.find('-');
    if (dash == std::string::npos || dash == 0) throw std::invalid_argument("only A-B and A- ranges are served");
    ByteRange range;
    range.first = number(std::string_view(spec).substr(0, dash));
    range.last = dash + 1 == spec.size() ? size - 1 : number(std::string_view(spec).substr(dash + 1));
    if (size == 0 || range.first >= size || range.last < range.first) throw std::invalid_argument("the range is outside the file");
    if (range.last >= size) range.last = size - 1;
    return range;
}

std::optional<std::string> archive_path(const std::string& target, const std::string& archives_dir, const std::string& files_key) {
    const std::string rest = target.substr(std::string("/files/").size());
    const auto slash = rest.find('/');
    const std::string key = rest.substr(0, slash), name = slash == std::string::npos ? "" : rest.substr(slash + 1);
    if (archives_dir.empty() || !protocol::same_proof(key, files_key) || !plain_file_name(name)) return std::nullopt;
    return archives_dir + "/" + name;
}

template <typename Stream>
asio::awaitable<bool> answer_text(Stream& stream, const http::request<http::string_body>& request, http::status status,
                                  const std::string& text, std::uint64_t size) {
    http::response<http::string_body> response{status, request.version()};
    common_headers(response, request);
    response.set(http::field::content_type, "text/plain");
    if (status == http::status::method_not_allowed) response.set(http::field::allow, "GET, HEAD");
    if (status == http::status::range_not_satisfiable) response.set(http::field::content_range, "bytes */" + std::to_string(size));
    response.body() = text.empty() || text.back() == '\n' ? text : text + "\n";
    response.prepare_payload();
    if (request.method() == http::verb::head) {
        http::response_serializer<http::string_body> head(response);
        co_await http::async_write_header(stream, head, asio::use_awaitable);
    } else {
        co_await http::async_write(stream, response, asio::use_awaitable);
    }
    co_return request.keep_alive();
}

template <typename Stream>
asio::awaitable<bool> serve_file(Stream& stream, const http::request<http::string_body>& request, const std::string& path) {
    if (request.method() != http::verb::get && request.method() != http::verb::head)
        co_return co_await answer_text(stream, request, http::status::method_not_allowed, "files are read with GET or HEAD");
    std::error_code status_error;
    if (!std::filesystem::is_regular_file(path, status_error))
        co_return co_await answer_text(stream, request, http::status::not_found, "no such file");
    const std::uint64_t size = std::filesystem::file_size(path);

    std::optional<ByteRange> range;
    std::string bad_range;  // no co_await inside a catch block
    try {
        range = requested_range(std::string(request[http::field::range]), size);
    } catch (const std::invalid_argument& e) {
        bad_range = e.what();
    }
    if (!bad_range.empty()) co_return co_await answer_text(stream, request, http::status::range_not_satisfiable, bad_range, size);
    if (!range) {
        http::response<http::file_body> response{http::status::ok, request.version()};
        common_headers(response, request);
        response.set(http::field::content_type, "application/octet-stream");
        beast::error_code open_error;
        response.body().open(path.c_str(), beast::file_mode::scan, open_error);
        if (open_error) co_return co_await answer_text(stream, request, http::status::not_found, "no such file");
        response.prepare_payload();
        allow_time_to_send(stream, size);
        if (request.method() == http::verb::head) {
            http::response_serializer<http::file_body> head(response);
            co_await http::async_write_header(stream, head, asio::use_awaitable);
        } else {
            co_await http::async_write(stream, response, asio::use_awaitable);
        }
        co_return request.keep_alive();
    }
    const std::uint64_t length = range->last - range->first + 1;
    if (length > largest_range)
        co_return co_await answer_text(stream, request, http::status::range_not_satisfiable, "a range is served up to 80 MiB", size);
    http::response<http::string_body> response{http::status::partial_content, request.version()};
    common_headers(response, request);
    response.set(http::field::content_type, "application/octet-stream");
    response.set(http::field::content_range, "bytes " + std::to_string(range->first) + "-" + std::to_string(range->last) + "/" + std::to_string(size));
    if (request.method() == http::verb::get) {
        // Read on the reader threads: a range of a chunk is up to 64 MiB, and the controller's one
        // I/O thread must go on serving heartbeats and events meanwhile.
        std::optional<std::string> data =
            co_await asio::co_spawn(file_readers().get_executor(), read_range(path, range->first, length), asio::use_awaitable);
        if (!data) co_return co_await answer_text(stream, request, http::status::internal_server_error, "the file could not be read");
        response.body() = std::move(*data);
    }
    response.prepare_payload();
    if (request.method() == http::verb::head) response.content_length(length);
    allow_time_to_send(stream, length);
    co_await http::async_write(stream, response, asio::use_awaitable);
    co_return request.keep_alive();
}

template asio::awaitable<bool> serve_file(beast::ssl_stream<beast::tcp_stream>&, const http::request<http::string_body>&,
                                         const std::string&);
template asio::awaitable<bool> serve_file(beast::tcp_stream&, const http::request<http::string_body>&, const std::string&);
template asio::awaitable<bool> answer_text(beast::ssl_stream<beast::tcp_stream>&, const http::request<http::string_body>&, http::status,
                                          const std::string&, std::uint64_t);
template asio::awaitable<bool> answer_text(beast::tcp_stream&, const http::request<http::string_body>&, http::status, const std::string&,
                                          std::uint64_t);

}  // namespace dagda::controller
