#pragma once
/// A hand-driven agent connection for the controller's tests: what a hostile or broken agent
/// could send, frame by frame, over the real TLS WebSocket.

#include "integration/controller/ControllerFixture.hpp"
#include "net/TlsTrust.hpp"
#include "net/WebSocketChannel.hpp"
#include "protocol/Messages.hpp"
#include "protocol/Proof.hpp"

#include <boost/asio/connect.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <sys/socket.h>
#include <sys/time.h>

namespace dagda::testing {


/// A hand-driven agent connection: what a hostile or broken agent could send.
class RawAgent {
public:
    RawAgent(const ControllerProcess& controller)
        : tls_(dagda::net::client_context({controller.pin(), ""})), socket_(io_, tls_) {
        boost::beast::get_lowest_layer(socket_).connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), controller.port()));
        socket_.next_layer().set_verify_callback(dagda::net::ServerTrust({controller.pin(), ""}, "127.0.0.1"));
        socket_.next_layer().handshake(boost::asio::ssl::stream_base::client);
        socket_.handshake("127.0.0.1", "/agent");
        socket_.read_message_max(8u << 20);
    }
    /// The next frame, decoded; throws when the controller closed the connection.
    dagda::protocol::Message read() {
        boost::beast::flat_buffer buffer;
        socket_.read(buffer);
        return dagda::protocol::decode(boost::beast::buffers_to_string(buffer.data()));
    }
    void write(const std::string& frame) { socket_.write(boost::asio::buffer(frame)); }
    /// Writes a frame the controller may cut off while it is still being sent; false when it did.
    bool write_unless_cut(const std::string& frame) {
        try {
            write(frame);
            return true;
        } catch (const boost::system::system_error&) {
            return false;  // broken pipe or reset: the controller closed it mid-frame
        }
    }
    /// Whether the controller closes the connection within a few seconds.
    bool closed_by_peer() {
        // Synchronous reads ignore Beast's expiry: the kernel's receive timeout bounds the wait.
        const timeval five_seconds{5, 0};
        ::setsockopt(boost::beast::get_lowest_layer(socket_).socket().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &five_seconds, sizeof five_seconds);
        try {
            for (;;) socket_.read(buffer_);  // raw frames: whatever comes until the end
        } catch (const boost::system::system_error& e) {
            return e.code() != boost::asio::error::would_block && e.code() != boost::asio::error::try_again && e.code() != boost::asio::error::timed_out;
        }
    }

private:
    boost::asio::io_context io_;
    boost::asio::ssl::context tls_;
    dagda::net::SecureWebSocket socket_;
    boost::beast::flat_buffer buffer_;
};

inline std::string hello(const std::string& enrolment, const std::string& token, const std::string& nonce, const std::string& machine,
                  const nlohmann::json& network = nlohmann::json::array()) {
    return dagda::protocol::encode({"hello",
                                    {{"agent_version", "test"}, {"boot_id", "boot-1"}, {"enrolment", enrolment},
                                     {"proof", dagda::protocol::token_proof(token, nonce)},
                                     {"inventory", {{"machine", {{"machine_id", machine}}}, {"disks", nlohmann::json::array()}, {"network", network}}}}});
}

}  // namespace dagda::testing
