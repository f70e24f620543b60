// The agent side of the controller (docs/protocol.md, "Session"): challenge, hello and admission,
// welcome, then messages until the connection ends. Frames are decoded by protocol::decode, so
// whatever an agent sends is either a checked message or an `error` answer; nothing it sends
// ends the process.

#include "controller/ControllerServer.hpp"

#include "core/Error.hpp"
#include "protocol/Proof.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <iostream>

namespace dagda::controller {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::use_awaitable;
using protocol::Message;

namespace {

const std::set<std::string> finished_states{"succeeded", "failed", "cancelled", "refused"};
/// The reason a held job carries once the operator asked to cancel it.
const std::string cancel_reason = "cancel requested by the operator";

Message error(const std::string& code, const std::string& text) {
    return {"error", {{"code", code}, {"message", text}}};
}

/// An agent's text for the controller's log, on one line: control characters (a newline that
/// would start a forged "dagda controller:" line, terminal escapes) are shown as \xNN.
std::string loggable(const std::string& text) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (const char c : text.substr(0, 4096)) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) out += {'\\', 'x', digits[byte >> 4], digits[byte & 15]};
        else out += c;
    }
    return out;
}

}  // namespace

// Coroutine bodies below build no JSON from literals: GCC 12 miscompiles braced lists of string
// literals in a coroutine frame ("array used as initializer"), so messages are made in plain
// functions.
std::string ControllerServer::challenge_frame(const std::string& nonce) { return protocol::encode({"challenge", {{"nonce", nonce}}}); }

std::optional<std::string> ControllerServer::admit(net::WebSocketChannel& channel, const std::string& frame, const std::string& nonce) {
    try {
        const Message hello = protocol::decode(frame);
        if (hello.type != "hello") throw protocol::ProtocolError("unauthorized", "the first message must be hello, not " + hello.type);
        const auto& f = hello.fields;
        const nlohmann::json machine = f["inventory"].value("machine", nlohmann::json::object());
        // One hello per connection and a fresh nonce per connection: a recorded hello never
        // matches another connection's challenge.
        const Admission admission = store_.admit({f["enrolment"], f["proof"], nonce, machine.value("machine_id", std::string()), f["boot_id"],
                                                  f["agent_version"], f["inventory"], channel.peer_address},
                                                 now());
        channel.agent_id = admission.agent_id;
        if (!admission.not_bound.empty())
            std::cerr << "dagda controller: agent " << channel.agent_id << ": its token stays unbound to a machine: " << loggable(admission.not_bound)
                      << "\n";
    } catch (const protocol::ProtocolError& e) {
        std::cerr << "dagda controller: " << channel.peer << ": refused: " << loggable(e.what()) << "\n";
        return protocol::encode(error(e.code(), e.what()));
    } catch (const Error& e) {
        std::cerr << "dagda controller: " << channel.peer << ": refused: " << loggable(e.what()) << "\n";
        return protocol::encode(error("unauthorized", "unauthorized"));  // which check failed is not the peer's business
    }
    if (auto old = connected_.find(channel.agent_id); old != connected_.end()) old->second->close();  // the newer link wins
    connected_[channel.agent_id] = channel.shared_from_this();
    nlohmann::json acked = nlohmann::json::object();
    if (auto job = store_.unfinished_job(channel.agent_id)) acked[job->id] = job->acked;
    channel.send({"welcome", {{"agent_id", channel.agent_id}, {"heartbeat_seconds", settings_.heartbeat_seconds}, {"acked", acked}}});
    std::cerr << "dagda controller: agent " << channel.agent_id << " connected from " << channel.peer << "\n";
    offer_unfinished_job(channel);
    return std::nullopt;
}

void ControllerServer::handle_frame(net::WebSocketChannel& channel, const std::string& frame) {
    try {
        on_agent_message(channel, protocol::decode(frame));
    } catch (const protocol::ProtocolError& e) {
        channel.send(protocol::error_message(e));
    } catch (const std::exception& e) {  // a value of an unexpected type inside an object, a database error
        std::cerr << "dagda controller: agent " << channel.agent_id << ": " << e.what() << "\n";
        channel.send(error("internal", "the controller could not handle that message"));
    }
}

void ControllerServer::end_session(net::WebSocketChannel& channel) {
    channel.close();
    auto current = connected_.find(channel.agent_id);
    if (current != connected_.end() && current->second.get() == &channel) {
        connected_.erase(current);
        std::cerr << "dagda controller: agent " << channel.agent_id << " disconnected\n";
    }
}

asio::awaitable<void> ControllerServer::agent_session(std::shared_ptr<net::WebSocketChannel> channel) {
    auto& socket = channel->socket();
    websocket::stream_base::timeout timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
    timeouts.idle_timeout = std::chrono::seconds(std::max(30, 3 * settings_.heartbeat_seconds));
    socket.set_option(timeouts);  // pings after half the idle time; a silent peer is dropped
    socket.read_message_max(protocol::largest_hello);
    // A peer has 10 s from the upgrade to prove itself; pings do not keep an unproven link open.
    asio::steady_timer deadline(io_, std::chrono::seconds(10));
    deadline.async_wait([weak = std::weak_ptr<net::WebSocketChannel>(channel)](const boost::system::error_code& cancelled) {
        if (auto late = weak.lock(); late && !cancelled && late->agent_id.empty()) late->close();
    });
    try {
        const std::string nonce = protocol::random_nonce();
        const std::string challenge = challenge_frame(nonce);
        co_await socket.async_write(asio::buffer(challenge), use_awaitable);
        beast::flat_buffer buffer;
        co_await socket.async_read(buffer, use_awaitable);
        if (const auto refusal = admit(*channel, net::take_frame(buffer), nonce)) {
            co_await socket.async_write(asio::buffer(*refusal), use_awaitable);
            channel->close();
            co_return;
        }
        deadline.cancel();
        socket.read_message_max(protocol::largest_frame);
        asio::co_spawn(io_, write_loop(channel), asio::detached);
        for (;;) {
            co_await socket.async_read(buffer, use_awaitable);
            handle_frame(*channel, net::take_frame(buffer));
        }
    } catch (const boost::system::system_error& e) {
        log_session_end(*channel, e.code());
    } catch (const std::exception& e) {  // admission's own failure (the database): this session only
        std::cerr << "dagda controller: " << channel->peer << ": " << e.what() << "\n";
    }
    end_session(*channel);
}

asio::awaitable<void> ControllerServer::write_loop(std::shared_ptr<net::WebSocketChannel> channel) {
    try {
        co_await channel->write_loop();
    } catch (const boost::system::system_error&) {
        channel->close();  // the reader then sees the closed socket and ends the session
    }
}

void ControllerServer::log_session_end(const net::WebSocketChannel& channel, const boost::system::error_code& code) {
    if (channel.overflowed())
        std::cerr << "dagda controller: " << channel.peer << ": the agent does not read what it is sent (over "
                  << net::WebSocketChannel::largest_queue / (1u << 20) << " MiB waiting); connection closed\n";
    else if (code == websocket::error::message_too_big)
        std::cerr << "dagda controller: " << channel.peer << ": a frame over the size limit; connection closed\n";
    else if (code != websocket::error::closed && code != asio::error::operation_aborted && code != asio::error::eof && !channel.closed())
        std::cerr << "dagda controller: " << channel.peer << ": " << code.message() << "\n";
}

void ControllerServer::on_agent_message(net::WebSocketChannel& channel, const Message& message) {
    const auto& f = message.fields;
    const std::string& type = message.type;
    auto owned_job = [&](const std::string& id) {
        auto job = store_.job(id);
        if (!job || job->agent_id != channel.agent_id) throw protocol::ProtocolError("malformed", "job " + id + " is not this agent's");
        return *job;
    };
    if (type == "heartbeat" && f["job"].is_null()) {
        // An idle agent: a job it refused as busy is offered again now, once per refusal (an
        // agent that sends heartbeats but never reads must not make offers pile up).
        const auto job = store_.unfinished_job(channel.agent_id);
        if (job && job->state == "offered" && channel.busy_job == job->id) {
            channel.busy_job.clear();
            offer_unfinished_job(channel);
        }
        return;
    }
    if (type == "heartbeat" || type == "error") {
        if (type == "error") std::cerr << "dagda controller: agent " << channel.agent_id << " says: " << loggable(f.dump()) << "\n";
        return;
    }
    if (type == "log") {
        std::cerr << "dagda controller: agent " << channel.agent_id << " [" << f["level"].get<std::string>() << "] "
                  << loggable(f["text"].get<std::string>()) << "\n";
        return;
    }
    if (type == "job_accept") {
        const JobRecord job = owned_job(f["job"]);
        if (job.state == "offered") store_.set_job_state(job.id, "running", now(), job.reason);
        if (cancels_.count(job.id) || job.reason == cancel_reason) channel.send({"cancel", {{"job", job.id}}});
        return;
    }
    if (type == "job_refuse") {
        const JobRecord job = owned_job(f["job"]);
        if (f["reason"] == "busy") {
            channel.busy_job = job.id;  // offered again when the agent is idle, reconnects or finishes
            return;
        }
        std::cerr << "dagda controller: agent " << channel.agent_id << " refused " << job.id << ": " << loggable(f["problems"].dump()) << "\n";
        std::string reason = "the agent refused the plan (" + f["reason"].get<std::string>() + ")";
        for (const auto& problem : f["problems"]) reason += "\n- " + problem.get<std::string>();
        if (!finished_states.count(job.state)) store_.set_job_state(job.id, "refused", now(), reason);
        cancels_.erase(job.id);
        return;
    }
    if (type == "event") {
        on_event(channel, message);
        return;
    }
    throw protocol::ProtocolError("unknown_type", type + " is not a message an agent sends");
}

void ControllerServer::on_event(net::WebSocketChannel& channel, const Message& message) {
    const auto& f = message.fields;
    const std::string id = f["job"];
    auto job = store_.job(id);
    if (!job || job->agent_id != channel.agent_id) throw protocol::ProtocolError("malformed", "job " + id + " is not this agent's");
    const nlohmann::json& event = f["event"];
    // The decoder bounds seq to 2^53 - 1, so it fits the database's signed integers.
    const EventAdmission admission = store_.add_event(id, static_cast<std::int64_t>(f["seq"].get<std::uint64_t>()), event);
    if (admission.kind == EventAdmission::Kind::refused) {
        std::cerr << "dagda controller: agent " << channel.agent_id << ": event " << f["seq"].get<std::uint64_t>() << " refused: " << admission.reason << "\n";
        channel.send(error("refused", admission.reason));
        return;
    }
    const bool stored = admission.kind == EventAdmission::Kind::stored;
    const bool is_result = event.contains("event") && event["event"] == "job_result";
    // A result already held (the controller stopped between the commit and the state change) is
    // applied again when resent: the state follows the result, whichever commit came first.
    if (is_result && !finished_states.count(job->state)) {
        const std::string outcome = event.contains("outcome") && event["outcome"].is_string() ? event["outcome"].get<std::string>() : "failed";
        const std::string state = outcome == "succeeded" || outcome == "cancelled" ? outcome : "failed";
        const nlohmann::json failure = event.value("failure", nlohmann::json::object());
        const std::string reason = failure.is_object() && failure.contains("message") && failure["message"].is_string() ? failure["message"].get<std::string>() : "";
        store_.set_job_state(id, state, now(), reason);
        cancels_.erase(id);
        discard_ended_uploads();
    } else if (stored && job->state == "offered") {
        store_.set_job_state(id, "running", now(), job->reason);
    }
    channel.send({"event_ack", {{"job", id}, {"upto", store_.job(id)->acked}}});
    if (stored && is_result) offer_unfinished_job(channel);  // a next job may be queued
}

void ControllerServer::offer_unfinished_job(net::WebSocketChannel& channel) {
    const auto job = store_.unfinished_job(channel.agent_id);
    if (!job) return;
    if (job->state != "running" && job->reason == cancel_reason) {
        // Cancelled before the agent took it: it never starts. The cancel also goes out, in case
        // the agent took it and its job_accept was lost with the link.
        store_.set_job_state(job->id, "cancelled", now(), cancel_reason);
        cancels_.erase(job->id);
        channel.send({"cancel", {{"job", job->id}}});
        offer_unfinished_job(channel);  // the next one, if any
        return;
    }
    if (job->state == "queued") store_.set_job_state(job->id, "offered", now());
    channel.send({"job_offer", {{"job", job->id}, {"plan", plan_for(channel, job->plan)}}});
}

bool ControllerServer::agent_connected(const std::string& agent_id) { return connected_.count(agent_id) != 0; }

void ControllerServer::job_submitted(const std::string& agent_id, const std::string&) {
    if (auto found = connected_.find(agent_id); found != connected_.end()) offer_unfinished_job(*found->second);
}

void ControllerServer::job_cancel_requested(const std::string& agent_id, const std::string& job_id) {
    // Kept in the database too, so a cancel survives a controller restart: it is delivered now,
    // or when the agent accepts the job again after a reconnect.
    if (const auto job = store_.job(job_id)) store_.set_job_state(job_id, job->state, now(), cancel_reason);
    cancels_.insert(job_id);
    if (auto found = connected_.find(agent_id); found != connected_.end()) found->second->send({"cancel", {{"job", job_id}}});
}

}  // namespace dagda::controller
