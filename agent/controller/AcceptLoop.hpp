#pragma once
/// The accept loop of each of the controller's ports (TLS port, boot port): one per acceptor, on
/// the controller's I/O thread, with a cap on the connections served at once.
///
/// A connection counts as served only once it has sent its first request header; before that it
/// is pending, with a cap of its own and a short deadline (the server's), so connections that
/// open and say nothing can fill the pending slots for a few seconds at most, and never take
/// the slots of the agents and operators already served.

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace dagda::controller {

/// A peer's address as text, an IPv4 peer of a dual-stack socket (::ffff:a.b.c.d) as a.b.c.d, so
/// the boot port and the TLS port name one machine alike.
std::string peer_address_text(const boost::asio::ip::address& address);

/// The counts of one port's connections, shared by its loop and the connections' coroutines.
struct ConnectionCounts {
    std::size_t served = 0, pending = 0;
    std::size_t most_served = 0, most_pending = 0;
};

/// One connection's place in its port's counts: pending from the accept, served once
/// established(); released when the connection's coroutine ends.
class ConnectionSlot {
public:
    explicit ConnectionSlot(std::shared_ptr<ConnectionCounts> counts);
    ConnectionSlot(ConnectionSlot&& other) noexcept;
    ConnectionSlot& operator=(ConnectionSlot&&) = delete;
    ConnectionSlot(const ConnectionSlot&) = delete;
    ~ConnectionSlot();
    /// The connection sent a request header: it moves from pending to served. False when the
    /// port serves as many as it may (the server then answers 503 and closes).
    bool established();

private:
    std::shared_ptr<ConnectionCounts> counts_;
    bool served_ = false;
};

/// Serves one connection; its coroutine's end is the connection's end.
using ConnectionServer = std::function<boost::asio::awaitable<void>(boost::asio::ip::tcp::socket, ConnectionSlot)>;

/// Accepts until the acceptor is closed and serves each connection in its own coroutine: at most
/// `most_pending` connections that have not yet sent a request header, and at most `most` served
/// ones; one more pending is closed at once (said on stderr at most every 10 s), so a flood
/// cannot take the descriptors the database and the served files need. A failed accept (out of
/// descriptors, typically) is said and tried again 100 ms later rather than spun on. The counts
/// live in the loop's own frames, never in the server, so they outlive whichever ends first.
boost::asio::awaitable<void> accept_each(boost::asio::ip::tcp::acceptor& acceptor, std::string port_name, std::size_t most,
                                         std::size_t most_pending, ConnectionServer serve);

}  // namespace dagda::controller
