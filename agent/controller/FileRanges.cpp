#include "controller/FileRanges.hpp"

#include "net/TlsBulkWriter.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>

#include <unistd.h>

#include <charconv>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <type_traits>

namespace dagda::controller {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

/// What one connection holds of a file at a time: 20 agents reading 64 MiB chunks cost 20 MiB.
constexpr std::size_t piece_size = 1u << 20;

std::uint64_t number(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size()) throw std::invalid_argument("not a byte position");
    return value;
}

template <typename Body>
void common_headers(http::response<Body>& response, const http::request<http::string_body>& request) {
    response.set(http::field::server, "dagda-controller");
    response.set(http::field::accept_ranges, "bytes");
    response.keep_alive(request.keep_alive());
}

/// The deadline for sending `bytes`: the 30 s of a request, and a second for every 256 KiB, so a
/// PXE client on a slow UNDI driver gets its whole initramfs while a stalled peer still ends.
template <typename Stream>
void allow_time_to_send(Stream& stream, std::uint64_t bytes) {
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30 + bytes / (256 * 1024)));
}

/// Fills `piece` (already sized) from `fd` at `offset`, on a reader thread; false on a read error
/// or a file that shrank under it.
asio::awaitable<bool> read_piece(int fd, std::uint64_t offset, std::string* piece) {
    std::size_t done = 0;
    while (done < piece->size()) {
        const ssize_t got = ::pread(fd, piece->data() + done, piece->size() - done, static_cast<off_t>(offset + done));
        if (got <= 0) co_return false;
        done += static_cast<std::size_t>(got);
    }
    co_return true;
}

/// A piece of a file onto the stream: over TLS by the bulk writer (one socket write per piece,
/// not one per 16 KiB record), in plain HTTP as it is.
template <typename Stream>
asio::awaitable<void> write_piece(Stream& stream, const std::string& piece, std::optional<net::TlsBulkWriter>& bulk) {
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
        if (!bulk) bulk.emplace();
        co_await bulk->write(stream, asio::buffer(piece));
    } else {
        co_await asio::async_write(stream, asio::buffer(piece), asio::use_awaitable);
    }
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
asio::awaitable<bool> serve_file(Stream& stream, const http::request<http::string_body>& request, BeneathFile file, FileReaders& readers) {
    if (request.method() != http::verb::get && request.method() != http::verb::head)
        co_return co_await answer_text(stream, request, http::status::method_not_allowed, "files are read with GET or HEAD");
    std::optional<ByteRange> range;
    std::string bad_range;  // no co_await inside a catch block
    try {
        range = requested_range(std::string(request[http::field::range]), file.size);
    } catch (const std::invalid_argument& e) {
        bad_range = e.what();
    }
    if (!bad_range.empty()) co_return co_await answer_text(stream, request, http::status::range_not_satisfiable, bad_range, file.size);
    const std::uint64_t first = range ? range->first : 0;
    const std::uint64_t length = range ? range->last - range->first + 1 : file.size;

    http::response<http::empty_body> response{range ? http::status::partial_content : http::status::ok, request.version()};
    common_headers(response, request);
    response.set(http::field::content_type, "application/octet-stream");
    if (range)
        response.set(http::field::content_range,
                     "bytes " + std::to_string(range->first) + "-" + std::to_string(range->last) + "/" + std::to_string(file.size));
    response.content_length(length);
    allow_time_to_send(stream, length);
    http::response_serializer<http::empty_body> header(response);
    co_await http::async_write_header(stream, header, asio::use_awaitable);
    if (request.method() == http::verb::head) co_return request.keep_alive();

    std::string piece;
    std::optional<net::TlsBulkWriter> bulk;
    for (std::uint64_t sent = 0; sent < length;) {
        piece.resize(static_cast<std::size_t>(std::min<std::uint64_t>(piece_size, length - sent)));
        const bool read = co_await asio::co_spawn(readers.executor(), read_piece(file.fd.get(), first + sent, &piece), asio::use_awaitable);
        // The header is out: a failed read can only end the connection, which the client sees as
        // a short body and retries.
        if (!read) throw std::runtime_error("a served file could not be read at byte " + std::to_string(first + sent));
        co_await write_piece(stream, piece, bulk);
        sent += piece.size();
    }
    co_return request.keep_alive();
}

template asio::awaitable<bool> serve_file(beast::ssl_stream<beast::tcp_stream>&, const http::request<http::string_body>&, BeneathFile,
                                         FileReaders&);
template asio::awaitable<bool> serve_file(beast::tcp_stream&, const http::request<http::string_body>&, BeneathFile, FileReaders&);
template asio::awaitable<bool> answer_text(beast::ssl_stream<beast::tcp_stream>&, const http::request<http::string_body>&, http::status,
                                          const std::string&, std::uint64_t);
template asio::awaitable<bool> answer_text(beast::tcp_stream&, const http::request<http::string_body>&, http::status, const std::string&,
                                          std::uint64_t);

}  // namespace dagda::controller
