#pragma once
/// The files the controller serves (docs/api.md, "Files" and "Boot files"): the archives of a
/// job's generation chain on the TLS port (/files/GRANT/NAME, which ControllerServer checks
/// against the job's grant), and the live image's kernel and initramfs on the boot port. Single
/// byte ranges ("bytes=A-B", "bytes=A-") are answered with 206, which is how an agent reads a TIB
/// archive: the trailer, the index, then the chunks it needs.
///
/// A file is sent in pieces of 1 MiB read on the reader threads, so neither a 64 MiB chunk nor a
/// whole initramfs is ever held in memory, and the controller's one I/O thread never waits for a
/// disk read.

#include "core/OpenBeneath.hpp"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
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

/// The threads that read files for the I/O thread: two, as many as a restore reads chunks at once.
/// Owned by the server; join() once the io_context has stopped and before it is destroyed, since
/// each read ends by resuming its request on that io_context.
class FileReaders {
public:
    FileReaders() : pool_(2) {}
    ~FileReaders() { pool_.join(); }
    FileReaders(const FileReaders&) = delete;
    FileReaders& operator=(const FileReaders&) = delete;
    boost::asio::thread_pool::executor_type executor() { return pool_.get_executor(); }
    void join() { pool_.join(); }

private:
    boost::asio::thread_pool pool_;
};

/// Answers a GET or HEAD of an open regular file, whole or one byte range; returns whether the
/// connection may serve another request. Stream: the controller's TLS port or its plain-HTTP boot
/// port (BootServer); both are instantiated in FileRanges.cpp.
template <typename Stream>
boost::asio::awaitable<bool> serve_file(Stream& stream, const boost::beast::http::request<boost::beast::http::string_body>& request,
                                        BeneathFile file, FileReaders& readers);

/// Answers with a short text body (an error, or an iPXE script); returns whether the connection
/// may serve another request.
template <typename Stream>
boost::asio::awaitable<bool> answer_text(Stream& stream, const boost::beast::http::request<boost::beast::http::string_body>& request,
                                         boost::beast::http::status status, const std::string& text, std::uint64_t size = 0);

}  // namespace dagda::controller
