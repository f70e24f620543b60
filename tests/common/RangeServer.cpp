#include "common/RangeServer.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <optional>

#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

namespace dagda::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

struct RangeServer::Impl {
    std::filesystem::path folder;
    net::io_context io;
    tcp::acceptor acceptor{io};
    std::thread accept_thread;
    std::mutex mutex;
    std::vector<std::thread> sessions;
    std::vector<std::shared_ptr<tcp::socket>> sockets;
    std::atomic<bool> stopping{false};
    std::optional<net::ssl::context> tls;
};

namespace {

std::string file_content(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

RangeServer::RangeServer(std::filesystem::path folder) : impl_(std::make_unique<Impl>()) {
    impl_->folder = std::move(folder);
    start();
}

RangeServer::RangeServer(std::filesystem::path folder, const std::string& certificate, const std::string& key)
    : impl_(std::make_unique<Impl>()) {
    impl_->folder = std::move(folder);
    impl_->tls.emplace(net::ssl::context::tls_server);
    impl_->tls->use_certificate_chain_file(certificate);
    impl_->tls->use_private_key_file(key, net::ssl::context::pem);
    start();
}

void RangeServer::start() {
    const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
    impl_->acceptor.open(endpoint.protocol());
    impl_->acceptor.set_option(net::socket_base::reuse_address(true));
    impl_->acceptor.bind(endpoint);
    impl_->acceptor.listen();
    impl_->accept_thread = std::thread([this] {
        while (!impl_->stopping) {
            auto socket = std::make_shared<tcp::socket>(impl_->io);
            boost::system::error_code ec;
            impl_->acceptor.accept(*socket, ec);
            if (ec || impl_->stopping) return;
            const std::lock_guard<std::mutex> lock(impl_->mutex);
            impl_->sockets.push_back(socket);
            impl_->sessions.emplace_back([this, socket] {
                if (!impl_->tls) {
                    serve(*socket);
                    return;
                }
                net::ssl::stream<tcp::socket&> stream(*socket, *impl_->tls);
                boost::system::error_code error;
                stream.handshake(net::ssl::stream_base::server, error);
                if (!error) serve(stream);  // a client that refused our certificate ends here
            });
        }
    });
}

template <typename Stream>
void RangeServer::serve(Stream& stream) {
    tcp::socket& socket = beast::get_lowest_layer(stream);
    beast::flat_buffer buffer;
    boost::system::error_code error;
    for (;;) {
        http::request<http::empty_body> request;
        http::read(stream, buffer, request, error);
        if (error) return;
        const std::string target(request.target());
        const std::size_t question = target.find('?');
        const std::string name = target.substr(1, question == std::string::npos ? std::string::npos : question - 1);
        const std::filesystem::path path = impl_->folder / std::filesystem::path(name).filename();
        http::response<http::string_body> response;
        response.version(11);
        response.keep_alive(true);
        const bool refused = require_query_ && question == std::string::npos;
        if (refused || !std::filesystem::exists(path)) {
            response.result(refused ? http::status::forbidden : http::status::not_found);
            response.prepare_payload();
            http::write(stream, response, error);
            continue;
        }
        const std::string content = file_content(path);
        if (request.method() == http::verb::head) {
            response.result(http::status::ok);
            response.content_length(content.size());
            http::response_serializer<http::string_body> head(response);
            http::write_header(stream, head, error);
            continue;
        }
        ++requests_;
        if (delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_.load()));
        if (fail_after_ == 0) {
            response.result(http::status::service_unavailable);
            response.prepare_payload();
            http::write(stream, response, error);
            continue;
        }
        if (fail_after_ > 0) --fail_after_;
        std::string range(request[http::field::range]);
        std::size_t first = 0;
        std::size_t last = content.size() - 1;
        if (!range.empty() && !ignore_ranges_ && std::sscanf(range.c_str(), "bytes=%zu-%zu", &first, &last) == 2 && first <= last &&
            last < content.size()) {
            response.result(http::status::partial_content);
            response.set(http::field::content_range,
                         "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(content.size()));
            response.body() = content.substr(first, last - first + 1);
        } else {
            response.result(http::status::ok);
            response.body() = content;
        }
        response.prepare_payload();
        if (drops_ > 0) {
            --drops_;
            // Headers promise the whole body; half of it comes, then the link drops.
            http::response_serializer<http::string_body> half(response);
            http::write_header(stream, half, error);
            net::write(stream, net::buffer(response.body().data(), response.body().size() / 2), error);
            socket.shutdown(tcp::socket::shutdown_both, error);
            socket.close(error);
            return;
        }
        http::write(stream, response, error);
        if (error) return;
    }
}

RangeServer::~RangeServer() {
    impl_->stopping = true;
    boost::system::error_code ec;
    {
        // A blocked accept() does not wake when the acceptor is closed elsewhere: knock once.
        tcp::socket knock(impl_->io);
        knock.connect(impl_->acceptor.local_endpoint(), ec);
    }
    impl_->accept_thread.join();
    impl_->acceptor.close(ec);
    const std::lock_guard<std::mutex> lock(impl_->mutex);
    for (auto& socket : impl_->sockets) {
        socket->shutdown(tcp::socket::shutdown_both, ec);
        socket->close(ec);
    }
    for (auto& session : impl_->sessions) session.join();
}

std::string RangeServer::url(const std::string& name) const {
    return std::string(impl_->tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(impl_->acceptor.local_endpoint().port()) + "/" + name;
}

}  // namespace dagda::testing
