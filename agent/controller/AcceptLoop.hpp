#pragma once
/// The accept loop of each of the controller's ports (TLS port, boot port): one per acceptor, on
/// the controller's I/O thread.

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <string>

namespace dagda::controller {

/// Accepts until the acceptor is closed and hands each connection to `take`, which must not
/// block (it spawns the connection's coroutine). A failed accept (out of descriptors, typically)
/// is said on stderr, naming `port_name`, and tried again 100 ms later rather than spun on.
boost::asio::awaitable<void> accept_each(boost::asio::ip::tcp::acceptor& acceptor, std::string port_name,
                                         std::function<void(boost::asio::ip::tcp::socket)> take);

}  // namespace dagda::controller
