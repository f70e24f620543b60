#pragma once
/// The files the controller serves (docs/api.md, "Files" and "Boot files"): GET and HEAD of
/// /files/KEY/NAME on the TLS port, where KEY is the controller's files key (a capability that
/// plans carry, so backups are not open to anyone on the network) and NAME a file directly in the
/// archives folder; and the live image's kernel and initramfs on the boot port. Single byte ranges ("bytes=A-B", "bytes=A-") are answered with 206, which is how an
/// agent reads a TIB archive: the trailer, the index, then the chunks it needs.

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace dagda::controller {

struct ByteRange {
    std::uint64_t first = 0, last = 0;  ///< inclusive
};

/// The one range a Range header asks of a file of `size` bytes: nullopt for no header (the whole
/// file); throws std::invalid_argument for a header that is not one satisfiable byte range.
std::optional<ByteRange> requested_range(const std::string& header, std::uint64_t size);

/// The archive a /files/KEY/NAME target names: ARCHIVES_DIR/NAME when KEY is the files key
/// (compared in constant time) and NAME a plain file name; nullopt otherwise (answer 404).
std::optional<std::string> archive_path(const std::string& target, const std::string& archives_dir, const std::string& files_key);

/// Answers a GET or HEAD of the regular file at `path`, whole or one byte range; returns whether
/// the connection may serve another request. Stream: the controller's TLS port or its plain-HTTP
/// boot port (BootServer); both are instantiated in FileRanges.cpp.
template <typename Stream>
boost::asio::awaitable<bool> serve_file(Stream& stream, const boost::beast::http::request<boost::beast::http::string_body>& request,
                                        const std::string& path);

/// Waits for the range reads under way and stops the reader threads: called once the
/// controller's io_context has stopped and before it is destroyed, since each read ends by
/// resuming its request on that io_context.
void stop_file_readers();

/// Answers with a short text body (an error, or an iPXE script); returns whether the connection
/// may serve another request.
template <typename Stream>
boost::asio::awaitable<bool> answer_text(Stream& stream, const boost::beast::http::request<boost::beast::http::string_body>& request,
                                         boost::beast::http::status status, const std::string& text, std::uint64_t size = 0);

}  // namespace dagda::controller
