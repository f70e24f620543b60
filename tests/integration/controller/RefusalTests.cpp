// Issue 6: what the link refuses. A controller with the wrong certificate, an agent with a wrong
// or someone else's token, a replayed hello, oversized and malformed frames, and a plan for a disk
// that does not match: each is refused with a reason, and nothing crashes or is written.

#include "common/Run.hpp"
#include "integration/controller/ControllerFixture.hpp"
#include "integration/controller/RawAgent.hpp"
#include "net/Certificates.hpp"
#include "net/TlsTrust.hpp"
#include "net/WebSocketChannel.hpp"
#include "protocol/Messages.hpp"
#include "protocol/Proof.hpp"

#include <boost/asio/connect.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

#include <sys/socket.h>
#include <sys/time.h>

using namespace dagda::testing;
namespace fs = std::filesystem;
namespace asio = boost::asio;
namespace beast = boost::beast;
using dagda::protocol::Message;

TEST_CASE("controller: an agent whose pin does not match the controller's certificate never links", "[controller][integration][refusal]") {
    if (!controller_tools_present()) return;
    TempDir dir;
    ControllerProcess controller(dir, dir.file("controller"));
    const std::string target = make_image(dir, "target.img", 1 << 20);
    const std::string wrong_pin = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99";
    AgentProcess agent(dir, {"srv01", controller.enrol("srv01"), target, "machine-a", controller.port(), wrong_pin, ""});
    REQUIRE(eventually([&] { return agent.log().find("does not match the pin given") != std::string::npos; }, 20));
    CHECK(controller.api("GET", "/api/agents")["body"]["agents"].empty());  // never admitted
}

TEST_CASE("controller: a wrong token, a token bound to another machine and a replayed hello are refused", "[controller][integration][refusal]") {
    if (!controller_tools_present()) return;
    TempDir dir;
    ControllerProcess controller(dir, dir.file("controller"));
    const std::string token_file = controller.enrol("srv01");
    const std::string token = first_line(token_file);

    SECTION("a wrong token") {
        RawAgent agent(controller);
        const std::string nonce = agent.read().fields["nonce"];
        agent.write(hello("srv01", std::string(64, 'a'), nonce, "machine-a"));
        const Message answer = agent.read();
        CHECK(answer.type == "error");
        CHECK(answer.fields["code"] == "unauthorized");
        CHECK(agent.closed_by_peer());
    }
    SECTION("a replayed hello: the proof answers another connection's nonce") {
        std::string recorded;
        {
            RawAgent first(controller);
            recorded = hello("srv01", token, first.read().fields["nonce"], "machine-a");
            first.write(recorded);
            CHECK(first.read().type == "welcome");
        }
        RawAgent replay(controller);
        replay.read();  // its own, fresh challenge
        replay.write(recorded);
        CHECK(replay.read().fields["code"] == "unauthorized");
    }
    SECTION("the token of machine A used by machine B") {
        {
            RawAgent a(controller);
            a.write(hello("srv01", token, a.read().fields["nonce"], "machine-a"));
            CHECK(a.read().type == "welcome");
        }
        RawAgent b(controller);
        b.write(hello("srv01", token, b.read().fields["nonce"], "machine-b"));
        CHECK(b.read().fields["code"] == "unauthorized");
        CHECK_THAT(controller.log(), Catch::Contains("refused"));
    }
}

TEST_CASE("controller: a token enrolled for a MAC is admitted only from a machine that reports that card, and served only while armed",
          "[controller][integration][refusal][pxe]") {
    if (!controller_tools_present()) return;
    TempDir dir;
    std::filesystem::create_directories(dir.file("pxe"));
    ControllerProcess controller(dir, dir.file("controller"), 0, "", {"--boot-port", "0", "--boot-files", dir.file("pxe")});
    const std::string boot = controller.boot_script_url().substr(0, controller.boot_script_url().rfind('/'));
    const auto script = [&] { return run("curl -sS --max-time 20 " + sh_quote(boot + "/machine.ipxe?mac=52-54-00-aa-bb-01")).out; };
    const auto enrolled = controller.api("POST", "/api/enrolments", {{"name", "pxe-box"}, {"mac", "52:54:00:aa:bb:01"}});
    REQUIRE(enrolled["status"] == 201);
    const std::string token = enrolled["body"]["token"];
    const nlohmann::json other_card = {{{"name", "eth0"}, {"mac", "52:54:00:aa:bb:02"}}};
    const nlohmann::json enrolled_card = {{{"name", "eth0"}, {"mac", "52:54:00:aa:bb:02"}}, {{"name", "eth1"}, {"mac", "52:54:00:AA:BB:01"}}};

    RawAgent copied_token(controller);
    copied_token.write(hello("pxe-box", token, copied_token.read().fields["nonce"], "machine-b", other_card));
    CHECK(copied_token.read().fields["code"] == "unauthorized");
    CHECK(eventually([&] { return controller.log().find("is for the machine with MAC 52:54:00:aa:bb:01") != std::string::npos; }, 5));

    CHECK_THAT(script(), Catch::Contains("dagda.token=" + token));  // armed since its enrolment; a refused hello changes nothing

    RawAgent machine(controller);
    machine.write(hello("pxe-box", token, machine.read().fields["nonce"], "machine-a", enrolled_card));
    CHECK(machine.read().type == "welcome");
    // Its agent is up: the card is sent on to its own disk, and the token is no longer handed out.
    const std::string after = script();
    CHECK_THAT(after, Catch::Contains("exit\n") && !Catch::Contains("dagda.token"));
    // A stranger cannot tell an enrolled card that is not armed from a card no enrolment names.
    CHECK(after == run("curl -sS --max-time 20 " + sh_quote(boot + "/machine.ipxe?mac=52-54-00-aa-bb-77")).out);
    // Armed again by the operator (a retry): the next boot gets the agent once more.
    const auto armed = controller.api("POST", "/api/enrolments/pxe-box/arm");
    CHECK(armed["status"] == 200);
    CHECK(armed["body"] == nlohmann::json{{"name", "pxe-box"}, {"mac", "52:54:00:aa:bb:01"}, {"armed", true}});
    CHECK_THAT(script(), Catch::Contains("dagda.token=" + token));
}

TEST_CASE("controller: an API request without the operator's token is refused before its body is read", "[controller][integration][refusal]") {
    if (!controller_tools_present()) return;
    TempDir dir;
    ControllerProcess controller(dir, dir.file("controller"));
    asio::io_context io;
    asio::ssl::context tls = dagda::net::client_context({controller.pin(), ""});
    beast::ssl_stream<beast::tcp_stream> stream(io, tls);
    beast::get_lowest_layer(stream).connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), controller.port()));
    stream.set_verify_callback(dagda::net::ServerTrust({controller.pin(), ""}, "127.0.0.1"));
    stream.handshake(asio::ssl::stream_base::client);
    // Headers announcing 8,000,000 bytes of body, and no body at all: the answer must come anyway.
    const std::string head = "POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                             "Content-Length: 8000000\r\nAuthorization: Bearer wrong\r\n\r\n";
    asio::write(stream, asio::buffer(head));
    const timeval five_seconds{5, 0};  // a controller waiting for the body would time this out
    ::setsockopt(beast::get_lowest_layer(stream).socket().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &five_seconds, sizeof five_seconds);
    beast::flat_buffer buffer;
    beast::http::response<beast::http::string_body> response;
    beast::http::read(stream, buffer, response);
    CHECK(response.result_int() == 401);
    CHECK_THAT(response.body(), Catch::Contains("unauthorized"));
    CHECK_FALSE(response.keep_alive());
}

TEST_CASE("controller: requests past --max-connections served connections are answered 503, and served again when one ends",
          "[controller][integration][refusal]") {
    REQUIRE(controller_tools_present());
    TempDir dir;
    ControllerProcess controller(dir, dir.file("controller"), 0, "", {"--max-connections", "3"});
    // Three agents' connections, served (their upgrade request was read); they have 10 s to say
    // hello, long enough for what follows.
    std::vector<std::unique_ptr<RawAgent>> held;
    for (int i = 0; i < 3; ++i) held.push_back(std::make_unique<RawAgent>(controller));
    CHECK(controller.api("GET", "/api/agents")["status"] == 503);
    held.pop_back();  // one ends: the API is served again
    CHECK(eventually([&] {
        try {
            return controller.api("GET", "/api/agents")["status"] == 200;
        } catch (const std::runtime_error&) {
            return false;
        }
    }, 5));
}

TEST_CASE("controller: malformed, unknown, foreign and oversized frames are answered or cut, and the controller goes on", "[controller][integration][refusal]") {
    if (!controller_tools_present()) return;
    TempDir dir;
    ControllerProcess controller(dir, dir.file("controller"));
    const std::string token = first_line(controller.enrol("srv01"));
    {
        RawAgent agent(controller);
        agent.write(hello("srv01", token, agent.read().fields["nonce"], "machine-a"));
        REQUIRE(agent.read().type == "welcome");
        agent.write("this is not JSON");
        CHECK(agent.read().fields["code"] == "malformed");
        agent.write(R"({"v": 1, "type": "reboot_now"})");
        CHECK(agent.read().fields["code"] == "unknown_type");
        agent.write(R"({"v": 1, "type": "event", "seq": 1, "job": "job-999", "event": {"event": "job_started"}})");
        CHECK(agent.read().fields["code"] == "malformed");  // not this agent's job
        agent.write(R"({"v": 1, "type": "welcome", "agent_id": "x", "heartbeat_seconds": 5, "acked": {}})");
        CHECK(agent.read().fields["code"] == "unknown_type");  // a controller's message
        agent.write(R"({"v": 2, "type": "heartbeat", "job": null})");
        CHECK(agent.read().fields["code"] == "version");
        const bool sent = agent.write_unless_cut(R"({"v": 1, "type": "log", "level": "info", "text": ")" + std::string(2u << 20, 'x') + "\"}");
        CHECK((!sent || agent.closed_by_peer()));
    }
    {
        RawAgent early(controller);  // a 5 MiB hello, before any proof
        early.read();
        const bool sent = early.write_unless_cut(std::string(5u << 20, ' '));
        CHECK((!sent || early.closed_by_peer()));
    }
    CHECK(controller.api("GET", "/api/agents")["status"] == 200);
}

TEST_CASE("controller: a plan whose disk does not match the agent's is refused with the reason, and nothing is written", "[controller][integration][refusal]") {
    if (!controller_tools_present()) return;
    TempDir dir;
    fs::create_directories(dir.file("archives"));
    make_source_disk(dir, dir.file("archives/src.tib"));
    const std::string target = make_image(dir, "target.img", 48ull << 20);
    const std::string before = file_digest(target);
    ControllerProcess controller(dir, dir.file("controller"));
    AgentProcess agent(dir, {"srv01", controller.enrol("srv01"), target, "machine-a", controller.port(), controller.pin(), ""});
    std::string agent_id;
    REQUIRE(eventually([&] {
        const auto agents = controller.api("GET", "/api/agents")["body"]["agents"];
        if (agents.empty() || !agents[0].value("connected", false)) return false;
        agent_id = agents[0]["id"];
        return true;
    }, 30));
    nlohmann::json plan = restore_plan(dir.file("archives/src.tib"), target);
    plan["disks"]["target"]["size"] = 1ull << 30;  // the operator means another disk
    const nlohmann::json answer = controller.api("POST", "/api/jobs", {{"agent", agent_id}, {"plan", plan}});
    REQUIRE(answer["status"] == 201);
    const std::string job = answer["body"]["id"];
    REQUIRE(eventually([&] { return controller.job_state(job) == "refused"; }, 30));
    const nlohmann::json record = controller.api("GET", "/api/jobs/" + job)["body"];
    CHECK_THAT(record.dump(), Catch::Contains("size"));
    CHECK(eventually([&] { return controller.log().find("agent " + agent_id + " [error] job " + job + ": ") != std::string::npos; }, 10));
    CHECK(file_digest(target) == before);
}

TEST_CASE("controller: TLS 1.2 offers forward-secret AEAD suites only, the pin is the key's, and the older certificate pin still works",
          "[controller][integration][refusal][tls]") {
    REQUIRE(controller_tools_present());
    REQUIRE(have_program("openssl"));
    TempDir dir;
    ControllerProcess controller(dir, dir.file("controller"));
    const std::string endpoint = "127.0.0.1:" + std::to_string(controller.port());
    const auto handshake = [&](const std::string& options) {
        return run("openssl s_client -connect " + endpoint + " " + options + " </dev/null").exit_code == 0;
    };
    CHECK(handshake("-tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256"));
    CHECK(handshake("-tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305"));
    CHECK(handshake("-tls1_3"));
    for (const char* weak : {"ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA", "ECDHE-ECDSA-AES128-SHA256", "AES128-SHA"})
        CHECK_FALSE(handshake(std::string("-tls1_2 -cipher ") + weak));
    CHECK_FALSE(handshake("-tls1_1"));

    // The printed pin is the SHA-256 of the certificate's public key, which a renewal keeps.
    const std::string certificate = dir.file("controller") + "/tls/controller.pem";
    const std::string spki = run("openssl x509 -noout -pubkey -in " + sh_quote(certificate) +
                                 " | openssl pkey -pubin -outform der | openssl dgst -sha256 -r").out;
    std::string colon_pin;
    for (std::size_t i = 0; i < 64; i += 2) colon_pin += (i ? ":" : "") + spki.substr(i, 2);
    CHECK(dagda::net::normalised_pin(colon_pin) == controller.pin());
    // An agent or ctl given the certificate's own fingerprint (the pin before 2026-12-05) still connects.
    const std::string fingerprint = run("openssl x509 -noout -fingerprint -sha256 -in " + sh_quote(certificate)).out;
    const std::string old_pin = fingerprint.substr(fingerprint.find('=') + 1, 95);
    const RunResult listed = run(dagda_command() + " ctl agents --controller " + controller.url() + " --pin " + old_pin + " --token-file " +
                                 sh_quote(dir.file("controller") + "/operator-token"));
    INFO(listed.err);
    CHECK(listed.exit_code == 0);
}

TEST_CASE("controller: a running controller renews its certificate in the last third of its life, and agents' pin stays good",
          "[controller][integration][tls]") {
    REQUIRE(controller_tools_present());
    REQUIRE(have_program("openssl"));
    const std::string faketime = libfaketime();
    REQUIRE(!faketime.empty());
    TempDir dir;
    const std::string state = dir.file("controller");
    // A controller first started 42,046,790 s (486 days, 15 h 40 min) ago: its certificate (valid from
    // an hour before that, for 2 years) enters the last third of its life 10 s from now.
    {
        ChildProcess aged({dagda_binary_path(), "controller", "--state-dir", state, "--port", "0"},
                          {"LD_PRELOAD=" + faketime, "FAKETIME=-42046790", "FAKETIME_DONT_FAKE_MONOTONIC=1"}, dir.file("aged.log"));
        std::string said;
        for (auto line = aged.read_line(std::chrono::seconds(20)); line && said.find("certificate pin: ") == std::string::npos;
             line = aged.read_line(std::chrono::seconds(20)))
            said += *line + "\n";
        REQUIRE_THAT(said, Catch::Contains("certificate pin: "));
    }
    ControllerProcess controller(dir, state, 0, "", {"--certificate-check-seconds", "1"});
    const auto served_expiry = [&] {
        return run("openssl s_client -connect 127.0.0.1:" + std::to_string(controller.port()) +
                   " </dev/null 2>/dev/null | openssl x509 -noout -enddate").out;
    };
    const std::string first = served_expiry();
    REQUIRE_THAT(first, Catch::StartsWith("notAfter="));
    CHECK_THAT(controller.log(), !Catch::Contains("renewed"));
    REQUIRE(eventually([&] { return controller.log().find("the certificate was renewed; the pin is unchanged") != std::string::npos; }, 40));
    // New connections get the new certificate (two years from now, not from 16 months ago), and
    // the pin the agents were given still opens the controller: the key stayed.
    const std::string renewed = served_expiry();
    REQUIRE_THAT(renewed, Catch::StartsWith("notAfter="));
    CHECK(renewed != first);
    const std::time_t two_years_on = std::time(nullptr) + 730 * 86400;
    std::tm parts{};
    ::gmtime_r(&two_years_on, &parts);
    CHECK_THAT(renewed, Catch::Contains(std::to_string(1900 + parts.tm_year) + " GMT"));
    CHECK(dagda::net::key_pin(state + "/tls/controller.pem") == controller.pin());
    const RunResult listed = controller.ctl("agents");
    INFO(listed.err);
    CHECK(listed.exit_code == 0);
}
