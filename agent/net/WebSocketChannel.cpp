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
    queue_.push_back(protocol::encode(message));
    wake_.cancel_one();
}

asio::awaitable<void> WebSocketChannel::write_loop() {
    while (!closed_) {
        while (!queue_.empty() && !closed_) {
            co_await socket_.async_write(asio::buffer(queue_.front()), asio::use_awaitable);
            queue_.pop_front();
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
    boost::system::error_code ignored;  // the peer may be gone already
    boost::beast::get_lowest_layer(socket_).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    boost::beast::get_lowest_layer(socket_).socket().close(ignored);
}

}  // namespace dagda::net
