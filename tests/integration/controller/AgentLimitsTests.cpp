// Issue 13, items 2, 3 and 7: what one agent can make the controller hold. Its events are bounded
// in size and number and end with its job; a peer that stops reading is dropped before its
// queue takes the controller's memory; its log text cannot forge the controller's own lines.
// A real controller process, and a hand-driven agent over the real TLS WebSocket.

#include "common/Run.hpp"
#include "integration/controller/ControllerFixture.hpp"
#include "integration/controller/RawAgent.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

using namespace dagda::testing;
namespace fs = std::filesystem;
using dagda::protocol::Message;

namespace {

/// An agent admitted as `name`, with a job queued for it (a plan of `padding` bytes) and offered.
struct OfferedAgent {
    RawAgent link;
    std::string job;
    OfferedAgent(const ControllerProcess& controller, const std::string& name, std::size_t padding = 0) : link(controller) {
        const std::string token = first_line(controller.enrol(name));
        link.write(hello(name, token, link.read().fields["nonce"], "machine-" + name));
        REQUIRE(link.read().type == "welcome");
        const nlohmann::json plan{{"dagda_plan", 1}, {"x-padding", std::string(padding, 'p')}, {"steps", {{{"step", "machine.reboot"}}}}};
        const nlohmann::json created = controller.api("POST", "/api/jobs", {{"agent", "agent-" + name}, {"plan", plan}});
        REQUIRE(created["status"] == 201);
        job = created["body"]["id"];
        const Message offer = link.read();
        REQUIRE(offer.type == "job_offer");
    }
    void send(const Message& message) { link.write(dagda::protocol::encode(message)); }
};

std::uint64_t database_bytes(const std::string& state) {
    std::uint64_t bytes = 0;
    for (const char* file : {"/controller.db", "/controller.db-wal"})
        if (fs::exists(state + file)) bytes += fs::file_size(state + file);
    return bytes;
}

}  // namespace

TEST_CASE("controller: an agent's events are bounded in size, end with its job, and a seq cannot wrap", "[controller][integration][limits]") {
    REQUIRE(controller_tools_present());
    TempDir dir;
    ControllerProcess controller(dir, dir.file("controller"));
    OfferedAgent agent(controller, "srv01");
    agent.send({"job_accept", {{"job", agent.job}}});
    const std::uint64_t before = database_bytes(dir.file("controller"));

    // 150 events of 900 KB each: kept whole, they would add 135 MB to the database.
    const std::string text(900000, 'x');
    std::int64_t upto = 0;
    for (int seq = 1; seq <= 150; ++seq) {
        agent.send({"event", {{"seq", seq}, {"job", agent.job}, {"event", {{"event", "step_said"}, {"step", 1}, {"text", text}}}}});
        const Message ack = agent.link.read();
        REQUIRE(ack.type == "event_ack");
        upto = ack.fields["upto"];
    }
    CHECK(upto == 150);
    const std::uint64_t grown = database_bytes(dir.file("controller")) - before;
    INFO("the database grew by " << grown << " bytes");
    CHECK(grown < (16u << 20));
    // What was kept is the event's kind and step and the start of its text, cut where it says so.
    const nlohmann::json events = controller.events(agent.job);
    REQUIRE(events.size() == 150);
    CHECK(events[0]["event"]["event"] == "step_said");
    CHECK(events[0]["event"]["x-cut"] == true);

    // A seq at 2^63 is not a sequence number (it used to wrap to a negative one).
    agent.link.write(R"({"v": 1, "type": "event", "seq": 9223372036854775808, "job": ")" + agent.job + R"(", "event": {"event": "step_said"}})");
    const Message wrapped = agent.link.read();
    CHECK(wrapped.type == "error");
    CHECK(wrapped.fields["code"] == "malformed");

    // The job's result ends it: nothing is taken after it.
    agent.send({"event", {{"seq", 151}, {"job", agent.job}, {"event", {{"event", "job_result"}, {"outcome", "succeeded"}}}}});
    CHECK(agent.link.read().type == "event_ack");
    REQUIRE(controller.job_state(agent.job) == "succeeded");
    agent.send({"event", {{"seq", 152}, {"job", agent.job}, {"event", {{"event", "step_said"}, {"text", "after the end"}}}}});
    const Message late = agent.link.read();
    CHECK(late.type == "error");
    CHECK(late.fields["code"] == "refused");
    CHECK(controller.events(agent.job).size() == 151);
}

TEST_CASE("controller: an agent that stops reading is dropped, and idle heartbeats do not repeat its offer", "[controller][integration][limits]") {
    REQUIRE(controller_tools_present());
    TempDir dir;
    ControllerProcess controller(dir, dir.file("controller"));
    const std::uint64_t before = controller.resident_bytes();
    // The offer is ~900 KB. The agent never reads again; it only sends idle heartbeats, which used
    // to make the controller queue the offer once more each time.
    OfferedAgent agent(controller, "srv01", 900000);
    for (int i = 0; i < 300; ++i) agent.send({"heartbeat", {{"job", nullptr}}});
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const std::uint64_t after_heartbeats = controller.resident_bytes();
    INFO("resident before: " << before / 1024 << " KiB, after 300 heartbeats: " << after_heartbeats / 1024 << " KiB");
    CHECK(after_heartbeats < before + (48u << 20));

    // Refused as busy, the offer comes again once the agent is idle: each refusal earns one offer.
    // An agent that keeps asking and never reads fills its queue, and is dropped.
    bool sending = true;
    for (int i = 0; i < 200 && sending; ++i) {
        sending = agent.link.write_unless_cut(dagda::protocol::encode(
            {"job_refuse", {{"job", agent.job}, {"reason", "busy"}, {"problems", nlohmann::json::array({"running another job"})}}}));
        sending = sending && agent.link.write_unless_cut(dagda::protocol::encode({"heartbeat", {{"job", nullptr}}}));
    }
    CHECK(eventually([&] { return controller.log().find("does not read what it is sent") != std::string::npos; }, 20));
    CHECK(agent.link.closed_by_peer());
    INFO(controller.log());
    CHECK(controller.resident_bytes() < before + (64u << 20));
    // The controller is still itself: the job is still there to be offered to the next link.
    CHECK(controller.job_state(agent.job) == "offered");
}

TEST_CASE("controller: an agent's log text cannot forge the controller's own log lines", "[controller][integration][limits]") {
    REQUIRE(controller_tools_present());
    TempDir dir;
    ControllerProcess controller(dir, dir.file("controller"));
    OfferedAgent agent(controller, "srv01");
    agent.send({"log", {{"level", "info"}, {"text", "all fine\ndagda controller: agent agent-root connected from 10.0.0.1\x1b[2J"}}});
    REQUIRE(eventually([&] { return controller.log().find("all fine") != std::string::npos; }, 10));
    const std::string log = controller.log();
    CHECK_THAT(log, Catch::Contains("all fine\\x0adagda controller: agent agent-root connected from 10.0.0.1\\x1b[2J"));
    CHECK_THAT(log, !Catch::Contains("\ndagda controller: agent agent-root"));
    CHECK(log.find('\x1b') == std::string::npos);
}

TEST_CASE("controller: connections that say nothing hold no served slot, and only for 10 s", "[controller][integration][limits]") {
    REQUIRE(controller_tools_present());
    TempDir dir;
    ControllerProcess controller(dir, dir.file("controller"), 0, "", {"--max-connections", "4"});
    boost::asio::io_context io;
    const boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"), controller.port());
    const auto open_idle = [&](int count) {
        std::vector<boost::asio::ip::tcp::socket> sockets;
        for (int i = 0; i < count; ++i) {
            sockets.emplace_back(io);
            sockets.back().connect(endpoint);
        }
        return sockets;
    };
    // Ten silent connections against a cap of four served ones: the operator still gets in.
    auto silent = open_idle(10);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(controller.api("GET", "/api/agents")["status"] == 200);
    // A flood past the pending cap (64) is turned away at once, and for 10 s at most: then the
    // silent ones are dropped, though their peer keeps them open.
    auto flood = open_idle(70);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const auto started = std::chrono::steady_clock::now();
    CHECK(eventually([&] {
        try {
            return controller.api("GET", "/api/agents")["status"] == 200;
        } catch (const std::exception&) {
            return false;  // closed at once: curl says so
        }
    }, 20));
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(15));
    CHECK_THAT(controller.log(), Catch::Contains("have not sent a request yet"));
}
