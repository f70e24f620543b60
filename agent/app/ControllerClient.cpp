#include "app/ControllerClient.hpp"

#include "core/Error.hpp"
#include "core/Url.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace dagda::app {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// The agents' list carries every inventory (up to 4 MiB each): far more than any other answer.
constexpr std::uint64_t largest_answer = 256ull << 20;

bool is_address(const std::string& host) {
    boost::system::error_code error;
    asio::ip::make_address(host, error);
    return !error;
}

}  // namespace

ControllerEndpoint parse_controller_url(const std::string& url) {
    const Url parts = parse_url(url, ErrorKind::usage);
    if (parts.scheme != "https") throw Error(ErrorKind::usage, "--controller must be https://HOST:PORT, not \"" + url + "\"");
    if (parts.target.find_first_not_of('/') != std::string::npos)
        throw Error(ErrorKind::usage, "--controller is https://HOST:PORT, without a path: \"" + url + "\"");
    return {parts.host, parts.port.empty() ? "443" : parts.port};
}

// One TLS connection. Beast's stream deadlines apply to asynchronous operations only, so each
// step (connect, handshake, write, read) is started asynchronously and the io_context run until
// that step ends, in time or cut off by its deadline: the code reads as synchronous calls and
// nothing can hang on a controller that stopped answering.
class ControllerClient::Connection {
public:
    Connection(const ControllerEndpoint& endpoint, const net::TrustSpec& trust, std::chrono::milliseconds timeout)
        : tls_(net::client_context(trust)), trust_(trust, endpoint.host), stream_(io_, tls_), timeout_(timeout), host_(endpoint.host) {
        const std::string where = endpoint.host + ":" + endpoint.port;
        tcp::resolver resolver(io_);
        boost::system::error_code error;
        const auto addresses = resolver.resolve(endpoint.host, endpoint.port, error);
        if (error) throw Error(ErrorKind::failed, "cannot resolve the controller " + endpoint.host + ": " + error.message());
        // SNI carries names only (RFC 6066); an address is not sent.
        if (!is_address(endpoint.host) && !SSL_set_tlsext_host_name(stream_.native_handle(), endpoint.host.c_str()))
            throw Error(ErrorKind::failed, "TLS: cannot set the server name " + endpoint.host);
        stream_.set_verify_callback(trust_);
        error = run([&](auto handler) { beast::get_lowest_layer(stream_).async_connect(addresses, handler); });
        if (error) throw Error(ErrorKind::failed, "cannot connect to the controller at " + where + ": " + error.message());
        error = run([&](auto handler) { stream_.async_handshake(asio::ssl::stream_base::client, handler); });
        if (error && !trust_.refusal().empty()) throw Error(ErrorKind::failed, "refusing the controller at " + where + ": " + trust_.refusal());
        if (error) throw Error(ErrorKind::failed, "TLS handshake with the controller at " + where + " failed: " + error.message());
    }

    ~Connection() {
        // A polite close; the controller treats a dropped connection the same, so errors and a
        // slow peer are only waited for briefly.
        timeout_ = std::chrono::seconds(2);
        run([&](auto handler) { stream_.async_shutdown(handler); });
    }

    http::response<http::string_body> send(http::request<http::string_body>& request, bool& reusable) {
        boost::system::error_code error = run([&](auto handler) { http::async_write(stream_, request, handler); });
        if (error) throw boost::system::system_error(error);
        http::response_parser<http::string_body> parser;
        parser.body_limit(largest_answer);
        error = run([&](auto handler) { http::async_read(stream_, buffer_, parser, handler); });
        if (error) throw boost::system::system_error(error);
        http::response<http::string_body> response = parser.release();
        reusable = response.keep_alive();
        return response;
    }

    const std::string& host() const noexcept { return host_; }

private:
    template <typename Start>
    boost::system::error_code run(Start start) {
        boost::system::error_code result;
        beast::get_lowest_layer(stream_).expires_after(timeout_);
        start([&result](boost::system::error_code error, auto&&...) { result = error; });
        io_.restart();
        io_.run();
        return result;
    }

    asio::io_context io_;
    asio::ssl::context tls_;
    net::ServerTrust trust_;
    beast::ssl_stream<beast::tcp_stream> stream_;
    std::chrono::milliseconds timeout_;
    std::string host_;
    beast::flat_buffer buffer_;
};

ControllerClient::ControllerClient(ControllerEndpoint endpoint, const net::TrustSpec& trust, std::string token, std::chrono::milliseconds timeout)
    : endpoint_(std::move(endpoint)), trust_(trust), token_(std::move(token)), timeout_(timeout) {
    net::client_context(trust_);  // a wrong pin or CA file is a usage error before anything is sent
}

ControllerClient::~ControllerClient() = default;

nlohmann::json ControllerClient::get(const std::string& target) { return exchange("GET", target, ""); }

nlohmann::json ControllerClient::post(const std::string& target, const nlohmann::json& body) { return exchange("POST", target, body.dump()); }

nlohmann::json ControllerClient::remove(const std::string& target) { return exchange("DELETE", target, ""); }

nlohmann::json ControllerClient::exchange(const std::string& method, const std::string& target, const std::string& body) {
    http::request<http::string_body> request{http::string_to_verb(method), target, 11};
    request.set(http::field::host, endpoint_.host.find(':') != std::string::npos ? "[" + endpoint_.host + "]:" + endpoint_.port
                                                                                 : endpoint_.host + ":" + endpoint_.port);
    request.set(http::field::user_agent, "dagda-ctl/0.1");
    request.set(http::field::authorization, "Bearer " + token_);
    request.set(http::field::accept, "application/json");
    if (method == "POST") request.set(http::field::content_type, "application/json");
    request.body() = body;
    request.prepare_payload();
    http::response<http::string_body> response;
    // A kept-alive connection the controller closed meanwhile fails at once; a GET is then sent
    // again on a new one. A POST never is: it may have been done already.
    const bool reused = connection_ != nullptr;
    for (int attempt = 0;; ++attempt) {
        if (!connection_) connection_ = std::make_unique<Connection>(endpoint_, trust_, timeout_);
        try {
            bool reusable = false;
            response = connection_->send(request, reusable);
            if (!reusable) connection_.reset();
            break;
        } catch (const boost::system::system_error& e) {
            connection_.reset();
            if (!reused || attempt > 0 || method != "GET")
                throw Error(ErrorKind::failed, "the controller at " + endpoint_.host + ":" + endpoint_.port + " stopped answering: " + e.code().message());
        }
    }
    const nlohmann::json answer = nlohmann::json::parse(response.body(), nullptr, false);
    const int status = static_cast<int>(response.result_int());
    if (status >= 200 && status < 300) {
        if (answer.is_discarded() || !answer.is_object())
            throw Error(ErrorKind::failed, "the controller answered " + target + " with something that is not JSON");
        return answer;
    }
    if (answer.is_object() && answer.contains("message") && answer["message"].is_string())
        throw ControllerRefusal(status, answer.value("error", ""), answer["message"].get<std::string>());
    throw ControllerRefusal(status, "", "the controller answered " + std::to_string(status) + " " + std::string(response.reason()) + " to " + target);
}

}  // namespace dagda::app
