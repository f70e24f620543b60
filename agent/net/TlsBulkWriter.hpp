#pragma once
/// A large body written onto a TLS connection with few socket writes.
///
/// Asio's TLS stream passes its records through a 17 KiB BIO pair, so every 16 KiB record costs
/// a socket write, a reactor round and a re-armed timer (Beast's tcp_stream). For a download of
/// gigabytes that was most of the controller's CPU (scripts/bench-console). Here a piece is
/// sealed into records by the connection's own SSL object into a buffer of ours, and the buffer
/// goes out in one socket write: the same bytes on the wire, a sixty-fourth of the writes.
///
/// The SSL object's write BIO is ours only for the synchronous SSL_write calls and put back
/// before they return, never across a suspension: the stream's own operations (the response's
/// header, a chunked body's last chunk, the next request) see the connection as they left it.

#include <openssl/types.h>

#include <utility>  // Asio 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <string>

namespace dagda::net {

/// Owns the BIO that collects sealed records (one C handle), and the records it holds.
class TlsBulkWriter {
public:
    TlsBulkWriter();
    ~TlsBulkWriter();
    TlsBulkWriter(const TlsBulkWriter&) = delete;
    TlsBulkWriter& operator=(const TlsBulkWriter&) = delete;

    /// `data` sealed as application-data records of `ssl`'s connection, appended to records().
    /// Throws Error{failed} with OpenSSL's reason when SSL_write refuses (the connection is then
    /// unusable: its record sequence may have moved on).
    void seal(SSL* ssl, boost::asio::const_buffer data);
    std::string& records() noexcept { return records_; }

    /// seal() then one write of the records onto the TCP stream under the TLS layer (its expiry
    /// applies); records() is empty afterwards, its capacity kept for the next piece.
    boost::asio::awaitable<void> write(boost::beast::ssl_stream<boost::beast::tcp_stream>& stream, boost::asio::const_buffer data);

private:
    BIO* collector_;
    std::string records_;
};

}  // namespace dagda::net
