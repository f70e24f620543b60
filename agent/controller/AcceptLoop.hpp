#pragma once
/// The accept loop of each of the controller's ports (TLS port, boot port): one per acceptor, on
/// the controller's I/O thread, with a cap on the connections served at once.

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstddef>
#include <functional>
#include <string>

namespace dagda::controller {

/// Serves one connection; its coroutine's end is the connection's end.
using ConnectionServer = std::function<boost::asio::awaitable<void>(boost::asio::ip::tcp::socket)>;

/// Accepts until the acceptor is closed and serves each connection in its own coroutine, at most
/// `most` at once: one more is closed at once (said on stderr at most every 10 s), so a flood
/// cannot take the descriptors the database and the served files need. A failed accept (out of
/// descriptors, typically) is said and tried again 100 ms later rather than spun on. The count
/// lives in the loop's own frames, never in the server, so it outlives whichever ends first.
boost::asio::awaitable<void> accept_each(boost::asio::ip::tcp::acceptor& acceptor, std::string port_name, std::size_t most,
                                         ConnectionServer serve);

}  // namespace dagda::controller
