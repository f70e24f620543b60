#pragma once
/// The recovery files the controller serves (docs/api.md, "Files"): GET and HEAD of
/// /files/KEY/NAME, where KEY is the controller's files key (a capability that plans carry, so
/// backups are not open to anyone on the network) and NAME a file directly in the archives
/// folder. Single byte ranges ("bytes=A-B", "bytes=A-") are answered with 206, which is how an
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

/// Answers one /files/ request; returns whether the connection may serve another request.
boost::asio::awaitable<bool> serve_file(boost::beast::ssl_stream<boost::beast::tcp_stream>& stream,
                                        const boost::beast::http::request<boost::beast::http::string_body>& request,
                                        const std::string& archives_dir, const std::string& files_key);

}  // namespace dagda::controller
