#include "controller/AcceptLoop.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <iostream>

namespace dagda::controller {

namespace asio = boost::asio;

asio::awaitable<void> accept_each(asio::ip::tcp::acceptor& acceptor, std::string port_name, std::function<void(asio::ip::tcp::socket)> take) {
    for (;;) {
        boost::system::error_code error;
        asio::ip::tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, error));
        if (error == asio::error::operation_aborted) co_return;
        if (error) {
            std::cerr << "dagda controller: " << port_name << ": accept: " << error.message() << "\n";
            asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
            co_await pause.async_wait(asio::use_awaitable);
            continue;
        }
        take(std::move(socket));
    }
}

}  // namespace dagda::controller
