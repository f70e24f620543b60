#include "link/AgentLink.hpp"

#include "core/Error.hpp"
#include "protocol/Backoff.hpp"
#include "protocol/Proof.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <openssl/ssl.h>

#include <iostream>
#include <random>

namespace dagda::link {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::use_awaitable;
using protocol::Message;

// Coroutine bodies here build no JSON from string literals: GCC 12 miscompiles braced lists of
// literals in a coroutine frame ("array used as initializer"); plain functions make the messages.

namespace {

/// Why a session ended, for the log line before the reconnect.
struct LinkDown : std::runtime_error {
    using std::runtime_error::runtime_error;
};

Message event_message(const jobs::PendingEvent& event) {
    return {"event", {{"seq", event.seq}, {"job", event.job}, {"event", event.event}}};
}

Message log_message(const std::string& level, const std::string& text) { return {"log", {{"level", level}, {"text", text}}}; }

Message heartbeat_message(const std::optional<std::string>& job) {
    return {"heartbeat", {{"job", job ? nlohmann::json(*job) : nlohmann::json(nullptr)}}};
}

}  // namespace

AgentLink::AgentLink(asio::io_context& io, LinkSettings settings, LinkHandler& handler, std::vector<jobs::PendingEvent> unacknowledged)
    : io_(io), settings_(std::move(settings)), url_(parse_controller_url(settings_.controller_url)),
      tls_(net::client_context(settings_.trust)), handler_(handler), unacknowledged_(unacknowledged.begin(), unacknowledged.end()) {}

void AgentLink::start() { asio::co_spawn(io_, run(), asio::detached); }

void AgentLink::say(const std::string& line, const char* level) {
    if (settings_.log) settings_.log(line);
    else std::cerr << "dagda agent: " << line << "\n";
    send_log(level, line);
}

void AgentLink::log(const std::string& level, const std::string& text) {
    asio::post(io_, [this, level, text] { send_log(level, text); });
}

void AgentLink::send_log(const std::string& level, const std::string& text) {
    // Bounded both ways: a line is cut to what a person reads, and while the link is down only the
    // newest lines are kept (a long outage says "link down" once per dial).
    constexpr std::size_t longest_line = 4096, most_held = 64;
    Message message = log_message(level, text.substr(0, longest_line));
    if (!channel_) {
        held_logs_.push_back(std::move(message));
        if (held_logs_.size() > most_held) {
            held_logs_.pop_front();
            ++dropped_logs_;
        }
        return;
    }
    try {
        channel_->send(message);
    } catch (const std::exception& e) {  // not sent; saying so here again could only repeat
        std::cerr << "dagda agent: cannot send a log line: " << e.what() << "\n";
    }
}

void AgentLink::send(Message message) {
    asio::post(io_, [this, message = std::move(message)] {
        try {
            if (channel_) channel_->send(message);
        } catch (const std::exception& e) {  // a message the protocol refuses (too large): say so, go on
            say("cannot send " + message.type + ": " + e.what(), "error");
        }
    });
}

void AgentLink::send_event(jobs::PendingEvent event) {
    asio::post(io_, [this, event = std::move(event)] {
        unacknowledged_.push_back(event);
        try {
            if (channel_) channel_->send(event_message(event));
        } catch (const std::exception& e) {  // the outbox refuses events too large to send, so this is a bug
            say("cannot send event " + std::to_string(event.seq) + " of " + event.job + ": " + e.what(), "error");
        }
    });
}

asio::awaitable<void> AgentLink::run() {
    protocol::Backoff backoff(settings_.backoff_base, settings_.backoff_cap, std::random_device{}());
    asio::steady_timer pause(io_);
    for (;;) {
        const auto started = std::chrono::steady_clock::now();
        std::string why;
        try {
            co_await session();
            why = "the controller closed the link";
        } catch (const std::exception& e) {  // the one error exit of a session, whatever ended it
            why = e.what();
        }
        if (channel_) channel_->close();
        channel_.reset();
        if (std::chrono::steady_clock::now() - started > std::chrono::minutes(1)) backoff.reset();
        const auto delay = backoff.next();
        say("link down (" + why + "); dialling again in " + std::to_string(delay.count()) + " ms", "warn");
        pause.expires_after(delay);
        co_await pause.async_wait(use_awaitable);
    }
}

asio::awaitable<void> AgentLink::session() {
    asio::ip::tcp::resolver resolver(io_);
    const auto endpoints = co_await resolver.async_resolve(url_.host, url_.port, use_awaitable);
    auto channel = std::make_shared<net::WebSocketChannel>(net::SecureWebSocket(io_, tls_));
    auto& socket = channel->socket();
    auto& tcp = beast::get_lowest_layer(socket);
    tcp.expires_after(std::chrono::seconds(10));
    co_await tcp.async_connect(endpoints, use_awaitable);
    if (!url_.host_is_address) SSL_set_tlsext_host_name(socket.next_layer().native_handle(), url_.host.c_str());
    const net::ServerTrust trust(settings_.trust, url_.host);
    socket.next_layer().set_verify_callback(trust);
    boost::system::error_code handshake_error;
    co_await socket.next_layer().async_handshake(asio::ssl::stream_base::client, asio::redirect_error(use_awaitable, handshake_error));
    if (handshake_error) throw LinkDown(trust.refusal().empty() ? "TLS: " + handshake_error.message() : trust.refusal());
    tcp.expires_never();  // the WebSocket's own timeouts take over
    websocket::stream_base::timeout timeouts = websocket::stream_base::timeout::suggested(beast::role_type::client);
    timeouts.idle_timeout = std::chrono::seconds(60);
    timeouts.keep_alive_pings = true;  // a controller that vanishes without a FIN is noticed
    socket.set_option(timeouts);
    socket.read_message_max(protocol::largest_frame);
    co_await socket.async_handshake(url_.host + ":" + url_.port, url_.path, use_awaitable);

    beast::flat_buffer buffer;
    co_await socket.async_read(buffer, use_awaitable);
    const std::string hello = hello_frame(net::take_frame(buffer));
    co_await socket.async_write(asio::buffer(hello), use_awaitable);
    co_await socket.async_read(buffer, use_awaitable);
    channel_ = channel;
    const int heartbeat_seconds = welcomed(net::take_frame(buffer));  // queues the resends on channel_
    asio::co_spawn(io_, write_loop(channel), asio::detached);
    asio::co_spawn(io_, heartbeats(channel, heartbeat_seconds), asio::detached);
    for (;;) {
        co_await socket.async_read(buffer, use_awaitable);
        const std::string frame = net::take_frame(buffer);
        try {
            on_message(protocol::decode(frame));
        } catch (const protocol::ProtocolError& e) {
            say("refused a message from the controller: " + std::string(e.what()), "warn");
            channel->send(protocol::error_message(e));
        }
    }
}

std::string AgentLink::hello_frame(const std::string& challenge_frame) const {
    const Message challenge = protocol::decode(challenge_frame);
    if (challenge.type != "challenge") throw LinkDown("the controller sent " + challenge.type + " instead of a challenge");
    const std::string nonce = challenge.fields["nonce"];
    return protocol::encode({"hello",
                             {{"agent_version", settings_.agent_version},
                              {"boot_id", settings_.boot_id},
                              {"enrolment", settings_.enrolment},
                              {"proof", protocol::token_proof(settings_.token, nonce)},
                              {"inventory", settings_.inventory}}});
}

int AgentLink::welcomed(const std::string& frame) {
    const Message welcome = protocol::decode(frame);
    if (welcome.type == "error")
        throw LinkDown("the controller refused this agent: " + welcome.fields["code"].get<std::string>() + ": " +
                       welcome.fields["message"].get<std::string>());
    if (welcome.type != "welcome") throw LinkDown("the controller sent " + welcome.type + " instead of welcome");
    for (const auto& [job, upto] : welcome.fields["acked"].items())
        if (upto.is_number_integer()) acknowledge(job, upto.get<std::uint64_t>());
    for (const auto& event : unacknowledged_) channel_->send(event_message(event));  // in order, before anything newer
    if (dropped_logs_ > 0) channel_->send(log_message("warn", std::to_string(dropped_logs_) + " earlier lines of the agent's log were dropped while the link was down"));
    dropped_logs_ = 0;
    for (const auto& line : held_logs_) channel_->send(line);
    held_logs_.clear();
    say("linked to the controller as " + welcome.fields["agent_id"].get<std::string>());
    return welcome.fields["heartbeat_seconds"].get<int>();
}

void AgentLink::on_message(const Message& message) {
    const auto& f = message.fields;
    if (message.type == "job_offer") handler_.job_offered(f["job"], f["plan"]);
    else if (message.type == "cancel") handler_.cancel_requested(f["job"]);
    else if (message.type == "event_ack") acknowledge(f["job"], f["upto"].get<std::uint64_t>());
    else if (message.type == "error") say("the controller says: " + f["code"].get<std::string>() + ": " + f["message"].get<std::string>());
    else throw protocol::ProtocolError("unknown_type", message.type + " is not a message a controller sends now");
}

void AgentLink::acknowledge(const std::string& job, std::uint64_t upto) {
    std::uint64_t highest_sent = 0;
    for (const auto& event : unacknowledged_)
        if (event.job == job) highest_sent = std::max(highest_sent, event.seq);
    if (highest_sent != 0 && upto > highest_sent) {
        // docs/protocol.md: the sides disagree; never take it as "everything acknowledged".
        say("the controller acknowledges event " + std::to_string(upto) + " of " + job + " but only " + std::to_string(highest_sent) + " exist; ignored");
        return;
    }
    std::erase_if(unacknowledged_, [&](const jobs::PendingEvent& event) { return event.job == job && event.seq <= upto; });
    handler_.events_acknowledged(job, upto);
}

asio::awaitable<void> AgentLink::write_loop(std::shared_ptr<net::WebSocketChannel> channel) {
    try {
        co_await channel->write_loop();
    } catch (const boost::system::system_error&) {
        channel->close();  // the reader sees it and the session ends through run()'s one exit
    }
}

asio::awaitable<void> AgentLink::heartbeats(std::shared_ptr<net::WebSocketChannel> channel, int seconds) {
    asio::steady_timer timer(io_);
    while (!channel->closed()) {
        timer.expires_after(std::chrono::seconds(seconds));
        boost::system::error_code ignored;
        co_await timer.async_wait(asio::redirect_error(use_awaitable, ignored));
        if (!channel->closed()) channel->send(heartbeat_message(handler_.current_job()));
    }
}

}  // namespace dagda::link
