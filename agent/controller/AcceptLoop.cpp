#include "controller/AcceptLoop.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <iostream>

namespace dagda::controller {

std::string peer_address_text(const boost::asio::ip::address& address) {
    if (address.is_v6() && address.to_v6().is_v4_mapped()) return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6()).to_string();
    return address.to_string();
}

namespace asio = boost::asio;

ConnectionSlot::ConnectionSlot(std::shared_ptr<ConnectionCounts> counts) : counts_(std::move(counts)) { ++counts_->pending; }

ConnectionSlot::ConnectionSlot(ConnectionSlot&& other) noexcept : counts_(std::move(other.counts_)), served_(other.served_) {}

ConnectionSlot::~ConnectionSlot() {
    if (!counts_) return;  // moved from
    if (served_) --counts_->served;
    else --counts_->pending;
}

bool ConnectionSlot::established() {
    if (served_) return true;
    if (counts_->served >= counts_->most_served) return false;
    --counts_->pending;
    ++counts_->served;
    served_ = true;
    return true;
}

asio::awaitable<void> accept_each(asio::ip::tcp::acceptor& acceptor, std::string port_name, std::size_t most, std::size_t most_pending,
                                  ConnectionServer serve) {
    const auto counts = std::make_shared<ConnectionCounts>();
    counts->most_served = most;
    counts->most_pending = most_pending;
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
        if (counts->pending >= most_pending) {
            boost::system::error_code ignored;
            socket.close(ignored);
            if (std::chrono::steady_clock::now() - last_warning > std::chrono::seconds(10)) {
                last_warning = std::chrono::steady_clock::now();
                std::cerr << "dagda controller: " << port_name << ": " << counts->pending
                          << " connections have not sent a request yet, the most it waits for; closing new ones\n";
            }
            continue;
        }
        asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), ConnectionSlot(counts)), asio::detached);
    }
}

}  // namespace dagda::controller
