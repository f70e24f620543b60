#include "common/TcpProxy.hpp"

#include <utility>  // before Asio: Boost 1.74 needs std::exchange declared

#include <boost/asio.hpp>

#include <atomic>
#include <condition_variable>
#include <list>
#include <mutex>
#include <thread>

namespace dagda::testing {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

/// Both directions of one connection; the first error in either closes both sockets.
struct Pipe : std::enable_shared_from_this<Pipe> {
    Pipe(tcp::socket accepted, asio::io_context& io) : client(std::move(accepted)), server(io) {}
    tcp::socket client, server;
    std::array<char, 65536> up{}, down{};

    void close() {
        boost::system::error_code ignored;
        client.close(ignored);
        server.close(ignored);
    }
    void pump(tcp::socket& from, tcp::socket& to, std::array<char, 65536>& buffer) {
        from.async_read_some(asio::buffer(buffer), [self = shared_from_this(), &from, &to, &buffer](boost::system::error_code error, std::size_t n) {
            if (error) return self->close();
            asio::async_write(to, asio::buffer(buffer.data(), n), [self, &from, &to, &buffer](boost::system::error_code write_error, std::size_t) {
                if (write_error) return self->close();
                self->pump(from, to, buffer);
            });
        });
    }
};

}  // namespace

struct TcpProxy::Impl {
    asio::io_context io;
    tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
    unsigned short target = 0;
    std::atomic<bool> refusing{false};
    std::atomic<int> accepted{0};
    std::list<std::weak_ptr<Pipe>> pipes;  // io thread only
    std::thread thread;

    void accept() {
        acceptor.async_accept([this](boost::system::error_code error, tcp::socket socket) {
            if (error) return;
            ++accepted;
            if (refusing) {
                boost::system::error_code ignored;
                socket.close(ignored);
            } else {
                auto pipe = std::make_shared<Pipe>(std::move(socket), io);
                pipes.push_back(pipe);
                pipe->server.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), target), [pipe](boost::system::error_code connect_error) {
                    if (connect_error) return pipe->close();
                    pipe->pump(pipe->client, pipe->server, pipe->up);
                    pipe->pump(pipe->server, pipe->client, pipe->down);
                });
            }
            accept();
        });
    }
};

TcpProxy::TcpProxy(unsigned short target_port) : impl_(std::make_unique<Impl>()) {
    impl_->target = target_port;
    impl_->accept();
    impl_->thread = std::thread([this] { impl_->io.run(); });
}

TcpProxy::~TcpProxy() {
    impl_->io.stop();
    impl_->thread.join();
}

unsigned short TcpProxy::port() const { return impl_->acceptor.local_endpoint().port(); }
int TcpProxy::connections() const { return impl_->accepted; }
void TcpProxy::refuse(bool on) { impl_->refusing = on; }

void TcpProxy::cut(bool refusing) {
    impl_->refusing = refusing;
    std::mutex done_mutex;
    std::condition_variable done;
    bool finished = false;
    asio::post(impl_->io, [&] {
        for (auto& weak : impl_->pipes)
            if (auto pipe = weak.lock()) pipe->close();
        impl_->pipes.clear();
        std::lock_guard lock(done_mutex);
        finished = true;
        done.notify_one();
    });
    std::unique_lock lock(done_mutex);
    done.wait(lock, [&] { return finished; });
}

}  // namespace dagda::testing
