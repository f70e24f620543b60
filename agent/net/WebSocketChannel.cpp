#include "net/WebSocketChannel.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket/ssl.hpp>

namespace dagda::net {

namespace asio = boost::asio;

std::string take_frame(boost::beast::flat_buffer& buffer) {
    std::string text = boost::beast::buffers_to_string(buffer.data());
    buffer.consume(buffer.size());
    return text;
}

WebSocketChannel::WebSocketChannel(SecureWebSocket&& socket) : socket_(std::move(socket)), wake_(socket_.get_executor()) {
    socket_.text(true);
    wake_.expires_at(asio::steady_timer::time_point::max());
}

void WebSocketChannel::send(const protocol::Message& message) {
    if (closed_) return;
    std::string frame = protocol::encode(message);
    if (queued_bytes_ + frame.size() > largest_queue) {
        overflowed_ = true;
        close();
        return;
    }
    queued_bytes_ += frame.size();
    queue_.push_back(std::move(frame));
    wake_.cancel_one();
}

asio::awaitable<void> WebSocketChannel::write_loop() {
    while (!closed_) {
        while (!queue_.empty() && !closed_) {
            writing_ = true;
            boost::system::error_code failed;
            co_await socket_.async_write(asio::buffer(queue_.front()), asio::redirect_error(asio::use_awaitable, failed));
            writing_ = false;
            queued_bytes_ -= queue_.front().size();
            queue_.pop_front();
            if (failed) throw boost::system::system_error(failed);
        }
        if (closed_) break;
        boost::system::error_code woken;  // cancel_one() is the wake-up, not an error
        wake_.expires_at(asio::steady_timer::time_point::max());
        co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, woken));
    }
}

void WebSocketChannel::close() {
    if (closed_) return;
    closed_ = true;
    wake_.cancel();
    // A closed connection keeps nothing queued: its frames go nowhere, and the channel object may
    // live on a while in the coroutines that still hold it. The frame being written stays until
    // its write ends, since the socket may still read it.
    while (queue_.size() > (writing_ ? 1u : 0u)) {
        queued_bytes_ -= queue_.back().size();
        queue_.pop_back();
    }
    queue_.shrink_to_fit();
    boost::system::error_code ignored;  // the peer may be gone already
    boost::beast::get_lowest_layer(socket_).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    boost::beast::get_lowest_layer(socket_).socket().close(ignored);
}

}  // namespace dagda::net
