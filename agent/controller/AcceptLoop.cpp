#include "controller/AcceptLoop.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <iostream>
#include <memory>

namespace dagda::controller {

namespace asio = boost::asio;

namespace {

/// One connection, counted while its coroutine lives (however it ends, or is destroyed).
asio::awaitable<void> counted(std::shared_ptr<std::size_t> count, ConnectionServer serve, asio::ip::tcp::socket socket) {
    struct Release {
        std::shared_ptr<std::size_t> count;
        ~Release() { --*count; }
    } release{count};
    co_await serve(std::move(socket));
}

}  // namespace

asio::awaitable<void> accept_each(asio::ip::tcp::acceptor& acceptor, std::string port_name, std::size_t most, ConnectionServer serve) {
    const auto count = std::make_shared<std::size_t>(0);
    std::chrono::steady_clock::time_point last_warning{};
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
        if (*count >= most) {
            boost::system::error_code ignored;
            socket.close(ignored);
            if (std::chrono::steady_clock::now() - last_warning > std::chrono::seconds(10)) {
                last_warning = std::chrono::steady_clock::now();
                std::cerr << "dagda controller: " << port_name << ": " << *count << " connections, the most it serves; closing new ones\n";
            }
            continue;
        }
        ++*count;
        asio::co_spawn(acceptor.get_executor(), counted(count, serve, std::move(socket)), asio::detached);
    }
}

}  // namespace dagda::controller
