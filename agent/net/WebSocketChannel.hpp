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
    /// Queues a message for the writer (on the I/O thread only).
    void send(const protocol::Message& message);
    /// Writes the queue until close(); throws what the socket throws.
    boost::asio::awaitable<void> write_loop();
    /// Ends the writer and the connection (a newer connection of the same agent replaces it, or
    /// the session ended); idempotent.
    void close();
    bool closed() const noexcept { return closed_; }

    std::string agent_id;  ///< on the controller: whose connection this is
    std::string peer;      ///< "127.0.0.1:41234", for the log

private:
    SecureWebSocket socket_;
    std::deque<std::string> queue_;
    boost::asio::steady_timer wake_;
    bool closed_ = false;
};

}  // namespace dagda::net
