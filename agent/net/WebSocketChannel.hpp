#pragma once
/// One WebSocket connection over TLS (an agent's, on either end of the link) and its single
/// writer: every frame is queued here and written by one coroutine, in order, so the reader and
/// the session logic never write to the socket themselves (Beast allows one write at a time).

#include "protocol/Messages.hpp"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <deque>
#include <memory>
#include <string>

namespace dagda::net {

using SecureWebSocket = boost::beast::websocket::stream<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

/// The frame a read left in `buffer`, as text, and the buffer emptied for the next read. A binary
/// frame is taken as text too, so that the protocol's decoder refuses it by its content.
std::string take_frame(boost::beast::flat_buffer& buffer);

class WebSocketChannel : public std::enable_shared_from_this<WebSocketChannel> {
public:
    explicit WebSocketChannel(SecureWebSocket&& socket);

    SecureWebSocket& socket() noexcept { return socket_; }
    /// Queues a message for the writer (on the I/O thread only). A peer that does not read lets
    /// the queue grow: past `largest_queue` bytes the connection is closed (overflowed() tells),
    /// so one stalled peer cannot take the controller's memory.
    void send(const protocol::Message& message);
    /// Writes the queue until close(); throws what the socket throws.
    boost::asio::awaitable<void> write_loop();
    /// Ends the writer and the connection (a newer connection of the same agent replaces it, or
    /// the session ended); idempotent.
    void close();
    bool closed() const noexcept { return closed_; }
    bool overflowed() const noexcept { return overflowed_; }
    std::size_t queued_bytes() const noexcept { return queued_bytes_; }

    /// 16 frames of the largest size: far more than a reading peer ever has waiting (a job offer,
    /// acknowledgements), far less than a controller's memory.
    static constexpr std::size_t largest_queue = 16 * protocol::largest_frame;

    std::string agent_id;  ///< on the controller: whose connection this is
    std::string peer;      ///< "127.0.0.1:41234", for the log
    std::string peer_address;  ///< "127.0.0.1": the address alone, for checks
    std::string origin;    ///< on the controller: "https://HOST:PORT" as the agent dialled it (its Host header), or ""
    std::string busy_job;  ///< on the controller: the job this agent last refused as busy, offered again when it is idle

private:
    SecureWebSocket socket_;
    std::deque<std::string> queue_;
    std::size_t queued_bytes_ = 0;
    bool writing_ = false;  ///< the queue's front is being written
    bool overflowed_ = false;
    boost::asio::steady_timer wake_;
    bool closed_ = false;
};

}  // namespace dagda::net
