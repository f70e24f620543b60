// The boot port (BootServer.hpp): one coroutine per connection, whose try block is that
// connection's one error exit; every request is a GET or HEAD of a small set of names.

#include "controller/BootServer.hpp"

#include "controller/AcceptLoop.hpp"
#include "controller/FileRanges.hpp"
#include "core/Error.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <iostream>

namespace dagda::controller {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::use_awaitable;

namespace {

constexpr auto request_timeout = std::chrono::seconds(30);
/// A new connection has this long for its first request, pending until then (AcceptLoop.hpp).
constexpr auto first_request_deadline = std::chrono::seconds(10);
constexpr std::size_t pending_boot_connections = 64;

/// The value of `key` in a query string ("mac=52-54-00-…&x=y"), or "".
std::string query_value(const std::string& query, const std::string& key) {
    std::size_t at = 0;
    while (at <= query.size()) {
        const std::size_t end = std::min(query.find('&', at), query.size());
        const std::string pair = query.substr(at, end - at);
        if (pair.rfind(key + "=", 0) == 0) return pair.substr(key.size() + 1);
        at = end + 1;
    }
    return "";
}

}  // namespace

BootServer::BootServer(asio::io_context& io, Store& store, FileReaders& readers, const std::string& address, unsigned short port,
                       std::string files_dir, std::size_t most, bool console_for_unknown)
    : io_(io), store_(store), readers_(readers), acceptor_(io), files_dir_(std::move(files_dir)), most_(most), console_for_unknown_(console_for_unknown) {
    const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(address), port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    boost::system::error_code error;
    acceptor_.bind(endpoint, error);
    if (error) throw Error(ErrorKind::failed, "cannot listen for boot requests on " + address + ":" + std::to_string(port) + ": " + error.message());
    acceptor_.listen(asio::socket_base::max_listen_connections);
    port_ = acceptor_.local_endpoint().port();
}

void BootServer::start(BootScriptSettings scripts) {
    scripts_ = std::move(scripts);
    asio::co_spawn(io_, accept_each(acceptor_, "boot port", most_, pending_boot_connections,
                                    [this](asio::ip::tcp::socket socket, ConnectionSlot slot) { return serve(std::move(socket), std::move(slot)); }),
                   asio::detached);
}

std::string BootServer::script_for(const std::string& query, const std::string& peer) {
    const auto mac = canonical_mac(query_value(query, "mac"));
    if (!mac) return "";
    const auto enrolment = store_.enrolment_for_mac(*mac);
    // The token goes out only while the enrolment is armed: from the arming (or the enrolment) to
    // the agent's hello. Any other time the card boots on, most often into the server's own disk,
    // which a PXE-first boot order must still reach.
    std::string given, script;
    if (enrolment && enrolment->armed) {
        given = "the agent of the enrolment " + enrolment->name;
        script = machine_script(scripts_, *mac, enrolment->name, enrolment->token);
        store_.token_fetched(enrolment->name, peer);  // the agent that connects from here may bind the token
    } else if (enrolment) {
        given = "its next boot device, the enrolment " + enrolment->name + " is not armed (dagda ctl arm " + enrolment->name + ")";
        script = next_device_script();
    } else if (console_for_unknown_) {
        given = "the console, no enrolment names this card";
        script = console_script(scripts_);
    } else {
        given = "its next boot device, no enrolment names this card";
        script = next_device_script();
    }
    // The operator watches PXE boots here: which card asked, and what it was given.
    std::cerr << "dagda controller: boot: " << peer << " (" << *mac << "): " << given << "\n";
    return script;
}

asio::awaitable<void> BootServer::serve(asio::ip::tcp::socket socket, ConnectionSlot slot) {
    std::string peer = "?";
    try {
        peer = peer_address_text(socket.remote_endpoint().address());
        beast::tcp_stream stream(std::move(socket));
        beast::flat_buffer buffer;
        for (bool keep = true, first = true; keep; first = false) {
            http::request_parser<http::string_body> parser;
            parser.header_limit(8 * 1024);
            parser.body_limit(0);  // GET and HEAD carry none
            stream.expires_after(first ? first_request_deadline : request_timeout);
            boost::system::error_code read_error;
            co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, read_error));
            if (read_error == http::error::end_of_stream) break;
            if (read_error) throw boost::system::system_error(read_error);
            const auto request = parser.release();
            if (!slot.established()) {
                co_await answer_text(stream, request, http::status::service_unavailable, "the boot port serves as many connections as it may");
                break;
            }
            const std::string target(request.target());
            const std::size_t question = target.find('?');
            const std::string path = target.substr(0, question);
            const std::string query = question == std::string::npos ? "" : target.substr(question + 1);
            if (request.method() != http::verb::get && request.method() != http::verb::head) {
                keep = co_await answer_text(stream, request, http::status::method_not_allowed, "boot files are read with GET or HEAD");
            } else if (path == "/boot/boot.ipxe") {
                keep = co_await answer_text(stream, request, http::status::ok, chain_script(scripts_));
            } else if (path == "/boot/machine.ipxe") {
                const std::string script = script_for(query, peer);
                if (script.empty())
                    keep = co_await answer_text(stream, request, http::status::bad_request, "machine.ipxe needs mac=aa-bb-cc-dd-ee-ff");
                else
                    keep = co_await answer_text(stream, request, http::status::ok, script);
            } else if (!files_dir_.empty() && (path == "/boot/vmlinuz" || path == "/boot/initrd.img")) {
                BeneathRefusal refusal{};
                BeneathFile file = open_beneath(files_dir_, path.substr(std::string("/boot/").size()), refusal);
                if (refusal != BeneathRefusal::none) keep = co_await answer_text(stream, request, http::status::not_found, "no such boot file");
                else keep = co_await serve_file(stream, request, std::move(file), readers_);
            } else {
                keep = co_await answer_text(stream, request, http::status::not_found, "no such boot file");
            }
        }
        boost::system::error_code ignored;
        stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    } catch (const std::exception& e) {
        std::cerr << "dagda controller: boot port: " << peer << ": " << e.what() << "\n";
    }
}

}  // namespace dagda::controller
