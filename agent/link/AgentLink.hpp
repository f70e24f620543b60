#pragma once
/// The agent's link to its controller (docs/protocol.md): it dials out over WSS, proves itself,
/// and keeps one connection with one writer. One loop (run) owns reconnecting: any error ends
/// the session, the loop waits a capped, jittered delay and dials again, so a link that drops
/// while a job runs comes back by itself and the job never notices. Everything here runs on the
/// link's own I/O thread, which does no disk I/O, so heartbeats go out while a restore saturates
/// the disk; other threads talk to it through the thread-safe send functions.

#include "jobs/Outbox.hpp"
#include "net/TlsTrust.hpp"
#include "net/WebSocketChannel.hpp"
#include "link/ControllerUrl.hpp"
#include "protocol/Messages.hpp"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace dagda::link {

struct LinkSettings {
    std::string controller_url;  ///< wss://HOST:PORT[/agent]
    net::TrustSpec trust;
    std::string enrolment, token;
    std::string agent_version, boot_id;
    nlohmann::json inventory = nlohmann::json::object();
    std::chrono::milliseconds backoff_base{1000}, backoff_cap{30000};
    std::function<void(const std::string&)> log;  ///< one line of the link's own story (stderr by default)
};

/// What the link hands to the job side; called on the link's thread, so none may block.
class LinkHandler {
public:
    virtual ~LinkHandler() = default;
    virtual void job_offered(const std::string& job, const nlohmann::json& plan) = 0;
    virtual void cancel_requested(const std::string& job) = 0;
    /// The controller holds every event of `job` up to `upto`.
    virtual void events_acknowledged(const std::string& job, std::uint64_t upto) = 0;
    /// The job running now, for heartbeats.
    virtual std::optional<std::string> current_job() = 0;
};

class AgentLink {
public:
    /// `unacknowledged`: what the outbox held at start, resent on the first connection.
    AgentLink(boost::asio::io_context& io, LinkSettings settings, LinkHandler& handler, std::vector<jobs::PendingEvent> unacknowledged);
    /// Starts the connection loop on the io_context.
    void start();
    /// Thread-safe: a message for the controller now (dropped when the link is down: job
    /// answers are asked again by the next offer).
    void send(protocol::Message message);
    /// Thread-safe: an event already recorded in the outbox; sent now or after the next
    /// connection, and kept until acknowledged.
    void send_event(jobs::PendingEvent event);
    /// Thread-safe: a line for the controller's log (a `log` message: level debug, info, warn or
    /// error). Sent now; while the link is down the last few are held and sent after the next
    /// welcome. Never written to disk and never acknowledged: the job's events are the record.
    void log(const std::string& level, const std::string& text);

private:
    boost::asio::awaitable<void> run();
    boost::asio::awaitable<void> session();
    boost::asio::awaitable<void> heartbeats(std::shared_ptr<net::WebSocketChannel> channel, int seconds);
    boost::asio::awaitable<void> write_loop(std::shared_ptr<net::WebSocketChannel> channel);
    std::string hello_frame(const std::string& challenge_frame) const;
    /// Reads welcome (or the refusal); resends what is not acknowledged. Returns heartbeat_seconds.
    int welcomed(const std::string& frame);
    void on_message(const protocol::Message& message);
    void acknowledge(const std::string& job, std::uint64_t upto);
    /// One line of the link's own story: on stderr (or settings.log) and to the controller.
    void say(const std::string& line, const char* level = "info");
    void send_log(const std::string& level, const std::string& text);  ///< link thread only

    boost::asio::io_context& io_;
    LinkSettings settings_;
    ControllerUrl url_;
    boost::asio::ssl::context tls_;
    LinkHandler& handler_;
    std::deque<jobs::PendingEvent> unacknowledged_;   ///< in the order they were recorded
    std::shared_ptr<net::WebSocketChannel> channel_;  ///< the live connection, after welcome; else null
    std::deque<protocol::Message> held_logs_;         ///< log lines from while the link was down, the newest few
    std::size_t dropped_logs_ = 0;                    ///< older lines that did not fit
};

}  // namespace dagda::link
