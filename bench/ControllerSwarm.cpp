// dagda-swarm: simulated agents for scripts/bench-controller. It enrols N machines through the
// REST API, queues one job for each, then connects N agents over WSS (one I/O thread, one
// coroutine per agent) that accept their job and stream progress events and heartbeats for a
// while. It measures each event's latency from its send to the controller's acknowledgement, which
// the controller sends only after the event is committed to SQLite. Prints one JSON line.
//
// Usage: dagda-swarm PORT PIN OPERATOR_TOKEN AGENTS SECONDS EVENTS_PER_SECOND_PER_AGENT

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include "net/TlsTrust.hpp"
#include "net/WebSocketChannel.hpp"
#include "protocol/Messages.hpp"
#include "protocol/Proof.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <random>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

namespace {

struct Settings {
    unsigned short port = 0;
    std::string pin, operator_token;
    int agents = 0, seconds = 0;
    double rate = 1;
};

struct Totals {
    std::vector<double> latencies_ms;
    int linked = 0, failed = 0;
    long events = 0, heartbeats = 0;
};

/// Enrolment and job submission: sequential HTTPS calls on one kept-alive connection.
class Operator {
public:
    Operator(asio::io_context& io, asio::ssl::context& tls, const Settings& s) : settings_(s), stream_(io, tls) {
        beast::get_lowest_layer(stream_).connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), s.port));
        stream_.set_verify_callback(dagda::net::ServerTrust({s.pin, ""}, "127.0.0.1"));
        stream_.handshake(asio::ssl::stream_base::client);
    }
    nlohmann::json call(http::verb verb, const std::string& target, const nlohmann::json& body) {
        http::request<http::string_body> request{verb, target, 11};
        request.set(http::field::host, "127.0.0.1");
        request.set(http::field::authorization, "Bearer " + settings_.operator_token);
        request.set(http::field::content_type, "application/json");
        request.body() = body.dump();
        request.prepare_payload();
        http::write(stream_, request);
        http::response<http::string_body> response;
        http::read(stream_, buffer_, response);
        if (response.result_int() >= 300) throw std::runtime_error(target + ": " + response.body());
        return nlohmann::json::parse(response.body());
    }

private:
    const Settings& settings_;
    beast::ssl_stream<beast::tcp_stream> stream_;
    beast::flat_buffer buffer_;
};

std::string hello_frame(const std::string& name, const std::string& token, const std::string& nonce) {
    return dagda::protocol::encode({"hello",
                                    {{"agent_version", "dagda-swarm"}, {"boot_id", "swarm"}, {"enrolment", name},
                                     {"proof", dagda::protocol::token_proof(token, nonce)},
                                     {"inventory", {{"machine", {{"machine_id", "swarm-" + name}}}, {"disks", nlohmann::json::array()}}}}});
}

dagda::protocol::Message progress_event(const std::string& job, std::uint64_t seq) {
    return {"event", {{"seq", seq}, {"job", job},
                      {"event", {{"event", "step_progress"}, {"step", 2}, {"name", "image.restore"}, {"done", seq << 20}, {"total", 1ull << 40}, {"rate", 2.5e8}}}}};
}

dagda::protocol::Message result_event(const std::string& job, std::uint64_t seq) {
    return {"event", {{"seq", seq}, {"job", job}, {"event", {{"event", "job_result"}, {"outcome", "succeeded"}}}}};
}

dagda::protocol::Message heartbeat(const std::string& job) { return {"heartbeat", {{"job", job}}}; }
dagda::protocol::Message accept(const std::string& job) { return {"job_accept", {{"job", job}}}; }

asio::awaitable<void> agent(const Settings& s, asio::ssl::context& tls, std::string name, std::string token, Clock::time_point stop, Totals& totals) {
    auto executor = co_await asio::this_coro::executor;
    std::shared_ptr<dagda::net::WebSocketChannel> channel;
    // Dialled as a real agent dials: a connection the controller closes at once (it holds at most
    // 64 that have not sent their first request) is tried again after a jittered pause.
    std::minstd_rand jitter(static_cast<unsigned>(std::hash<std::string>{}(name)));
    for (int attempt = 0;; ++attempt) {
        channel = std::make_shared<dagda::net::WebSocketChannel>(dagda::net::SecureWebSocket(executor, tls));
        std::string failure;
        try {
            auto& socket = channel->socket();
            co_await beast::get_lowest_layer(socket).async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), s.port), use_awaitable);
            socket.next_layer().set_verify_callback(dagda::net::ServerTrust({s.pin, ""}, "127.0.0.1"));
            co_await socket.next_layer().async_handshake(asio::ssl::stream_base::client, use_awaitable);
            co_await socket.async_handshake("127.0.0.1", "/agent", use_awaitable);
            break;
        } catch (const std::exception& e) {
            failure = e.what();
        }
        if (attempt >= 30) {
            ++totals.failed;
            std::cerr << name << ": " << failure << " (30 attempts)\n";
            co_return;
        }
        asio::steady_timer pause(executor, std::chrono::milliseconds(200 + jitter() % 1800));
        co_await pause.async_wait(use_awaitable);
    }
    try {
        auto& socket = channel->socket();
        beast::flat_buffer buffer;
        co_await socket.async_read(buffer, use_awaitable);
        const auto challenge = dagda::protocol::decode(beast::buffers_to_string(buffer.data()));
        buffer.consume(buffer.size());
        const std::string hello = hello_frame(name, token, challenge.fields["nonce"]);
        co_await socket.async_write(asio::buffer(hello), use_awaitable);
        asio::co_spawn(executor, [channel]() -> asio::awaitable<void> {
            try { co_await channel->write_loop(); } catch (const std::exception&) { channel->close(); }
        }, asio::detached);

        std::string job;
        std::map<std::uint64_t, Clock::time_point> in_flight;
        std::uint64_t seq = 0;
        bool linked = false, result_sent = false;
        // The streamer: events at the set rate and a heartbeat every 2 s, once the job is accepted.
        auto streamer = [&]() -> asio::awaitable<void> {
            asio::steady_timer timer(executor);
            const auto period = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / s.rate));
            auto next_heartbeat = Clock::now() + std::chrono::seconds(2);
            while (Clock::now() < stop && !channel->closed()) {
                in_flight[++seq] = Clock::now();
                channel->send(progress_event(job, seq));
                ++totals.events;
                if (Clock::now() >= next_heartbeat) {
                    channel->send(heartbeat(job));
                    ++totals.heartbeats;
                    next_heartbeat += std::chrono::seconds(2);
                }
                timer.expires_after(period);
                co_await timer.async_wait(use_awaitable);
            }
            in_flight[++seq] = Clock::now();
            channel->send(result_event(job, seq));
            result_sent = true;
        };
        for (;;) {
            co_await socket.async_read(buffer, use_awaitable);
            const auto message = dagda::protocol::decode(beast::buffers_to_string(buffer.data()));
            buffer.consume(buffer.size());
            if (message.type == "welcome") {
                linked = true;
                ++totals.linked;
            } else if (message.type == "job_offer" && job.empty()) {
                job = message.fields["job"];
                channel->send(accept(job));
                asio::co_spawn(executor, streamer(), asio::detached);
            } else if (message.type == "event_ack") {
                const auto upto = message.fields["upto"].get<std::uint64_t>();
                const auto now = Clock::now();
                for (auto it = in_flight.begin(); it != in_flight.end() && it->first <= upto;) {
                    totals.latencies_ms.push_back(std::chrono::duration<double, std::milli>(now - it->second).count());
                    it = in_flight.erase(it);
                }
                if (result_sent && in_flight.empty()) break;  // the job's result is acknowledged too
            } else if (message.type == "error") {
                std::cerr << name << ": " << message.fields.dump() << "\n";
            }
        }
        (void)linked;
    } catch (const std::exception& e) {
        ++totals.failed;
        std::cerr << name << ": " << e.what() << "\n";
    }
    channel->close();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 7) {
        std::cerr << "usage: dagda-swarm PORT PIN OPERATOR_TOKEN AGENTS SECONDS EVENTS_PER_SECOND_PER_AGENT\n";
        return 2;
    }
    Settings s{static_cast<unsigned short>(std::stoi(argv[1])), argv[2], argv[3], std::stoi(argv[4]), std::stoi(argv[5]), std::stod(argv[6])};
    asio::io_context io;
    asio::ssl::context tls = dagda::net::client_context({s.pin, ""});
    std::vector<std::pair<std::string, std::string>> machines;
    {
        Operator op(io, tls, s);
        const std::string run = std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 1000000);
        for (int i = 0; i < s.agents; ++i) {
            const std::string name = "swarm-" + run + "-" + std::to_string(i);
            const auto enrolled = op.call(http::verb::post, "/api/enrolments", {{"name", name}});
            machines.emplace_back(name, enrolled["token"]);
        }
        // Each agent must exist (one hello) before a job names it: connect first, submit after.
        Totals totals;
        const auto start = Clock::now();
        const auto stop = start + std::chrono::seconds(s.seconds);
        for (const auto& [name, token] : machines) asio::co_spawn(io, agent(s, tls, name, token, stop, totals), asio::detached);
        std::thread submitter([&] {
            asio::io_context submit_io;
            Operator submit(submit_io, tls, s);
            for (const auto& [name, token] : machines) {
                for (int attempt = 0;; ++attempt) {
                    try {
                        submit.call(http::verb::post, "/api/jobs", {{"agent", "agent-" + name}, {"plan", {{"dagda_plan", 1}, {"disks", nlohmann::json::object()}, {"steps", nlohmann::json::array({{{"step", "machine.poweroff"}}})}}}});
                        break;
                    } catch (const std::exception& e) {
                        if (attempt > 100) throw;
                        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the agent has not said hello yet
                    }
                }
            }
        });
        io.run();
        submitter.join();
        std::sort(totals.latencies_ms.begin(), totals.latencies_ms.end());
        auto percentile = [&](double p) {
            if (totals.latencies_ms.empty()) return -1.0;
            return totals.latencies_ms[std::min(totals.latencies_ms.size() - 1, static_cast<std::size_t>(p * static_cast<double>(totals.latencies_ms.size())))];
        };
        const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        std::cout << nlohmann::json{{"agents", s.agents}, {"linked", totals.linked}, {"failed", totals.failed}, {"events", totals.events},
                                    {"acknowledged", totals.latencies_ms.size()}, {"heartbeats", totals.heartbeats}, {"seconds", seconds},
                                    {"p50_ms", percentile(0.50)}, {"p99_ms", percentile(0.99)}, {"max_ms", percentile(1.0)}}
                         .dump()
                  << "\n";
    }
    return 0;
}
