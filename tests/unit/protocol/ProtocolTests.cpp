// The controller protocol's messages: every example of docs/protocol.md decodes and encodes back,
// every kind of bad frame gets its error code; the backoff and the token proof.

#include "protocol/Backoff.hpp"
#include "protocol/Messages.hpp"
#include "protocol/Proof.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <regex>

using namespace dagda::protocol;

namespace {

std::vector<std::pair<std::string, std::string>> protocol_examples() {
    std::ifstream in(std::string(DAGDA_SOURCE_DIR) + "/docs/protocol.md");
    const std::string doc{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    std::vector<std::pair<std::string, std::string>> examples;
    const std::regex block("```json (protocol-example-[a-z-]+)\\n([\\s\\S]*?)```");
    for (auto it = std::sregex_iterator(doc.begin(), doc.end(), block); it != std::sregex_iterator(); ++it)
        examples.emplace_back((*it)[1].str(), (*it)[2].str());
    return examples;
}

std::string refused_code(const std::string& frame) {
    try {
        decode(frame);
    } catch (const ProtocolError& error) {
        return error.code();
    }
    return "accepted";
}

}  // namespace

TEST_CASE("Protocol: every example of docs/protocol.md is a valid message and encodes back to itself", "[protocol]") {
    const auto examples = protocol_examples();
    REQUIRE(examples.size() == 7);
    for (const auto& [name, text] : examples) {
        INFO(name);
        const Message message = decode(text);
        CHECK(name.find(message.type == "job_offer" ? "job-offer" : message.type == "job_refuse" ? "job-refuse" : message.type) !=
              std::string::npos);
        const Message again = decode(encode(message));
        CHECK(again.type == message.type);
        CHECK(again.fields == message.fields);
    }
}

TEST_CASE("Protocol: bad frames are refused with the code to answer", "[protocol]") {
    const std::string nonce(64, 'a');
    CHECK(refused_code("{\"v\":1,\"type\":\"challenge\",\"nonce\":\"" + nonce + "\"}") == "accepted");
    CHECK(refused_code("not json") == "malformed");
    CHECK(refused_code("[1,2,3]") == "malformed");
    CHECK(refused_code("{\"type\":\"challenge\",\"nonce\":\"" + nonce + "\"}") == "malformed");             // no v
    CHECK(refused_code("{\"v\":2,\"type\":\"challenge\",\"nonce\":\"" + nonce + "\"}") == "version");
    CHECK(refused_code("{\"v\":1,\"type\":\"reboot_now\"}") == "unknown_type");
    CHECK(refused_code("{\"v\":1,\"type\":\"challenge\"}") == "malformed");                                  // key missing
    CHECK(refused_code("{\"v\":1,\"type\":\"challenge\",\"nonce\":\"" + nonce + "\",\"extra\":1}") == "malformed");
    CHECK(refused_code("{\"v\":1,\"type\":\"challenge\",\"nonce\":\"ABC\"}") == "malformed");               // not 64 hex
    CHECK(refused_code("{\"v\":1,\"type\":\"event\",\"seq\":0,\"job\":\"j\",\"event\":{}}") == "malformed");  // seq from 1
    CHECK(refused_code("{\"v\":1,\"type\":\"event\",\"seq\":-5,\"job\":\"j\",\"event\":{}}") == "malformed");
    CHECK(refused_code("{\"v\":1,\"type\":\"welcome\",\"agent_id\":\"a\",\"heartbeat_seconds\":0,\"acked\":0}") == "malformed");
    CHECK(refused_code("{\"v\":1,\"type\":\"log\",\"level\":\"panic\",\"text\":\"x\"}") == "malformed");
    CHECK(refused_code("{\"v\":1,\"type\":\"job_refuse\",\"job\":\"j\",\"reason\":\"busy\",\"problems\":[1]}") == "malformed");
    const std::string big = "{\"v\":1,\"type\":\"log\",\"level\":\"info\",\"text\":\"" + std::string(largest_frame, 'x') + "\"}";
    CHECK(refused_code(big) == "too_large");
    const std::string huge(largest_hello + 1, ' ');
    CHECK(refused_code(huge) == "too_large");
    // Deep nesting in a small frame: refused before anything recursive touches it.
    const std::string deep = "{\"v\":1,\"type\":\"event\",\"seq\":1,\"job\":\"j\",\"event\":{\"x\":" + std::string(200000, '[') +
                             std::string(200000, ']') + "}}";
    CHECK(refused_code(deep) == "malformed");
    const std::string nested_ok = "{\"v\":1,\"type\":\"event\",\"seq\":1,\"job\":\"j\",\"event\":{\"x\":" + std::string(60, '[') +
                                  std::string(60, ']') + "}}";
    CHECK(refused_code(nested_ok) == "accepted");
    CHECK(refused_code("{\"v\":1,\"type\":\"log\",\"level\":\"info\",\"text\":\"[[[[[[[[" + std::string(100, '{') + "\"}") == "accepted");
    // The answer to a refused frame is itself a valid message.
    try {
        decode("{\"v\":1,\"type\":\"reboot_now\"}");
        FAIL("an unknown type was accepted");
    } catch (const ProtocolError& error) {
        const Message answer = decode(encode(error_message(error)));
        CHECK(answer.fields["code"] == "unknown_type");
    }
    CHECK_THROWS_AS(encode({"welcome", {{"agent_id", "a"}}}), ProtocolError);  // never send a broken message
}

TEST_CASE("Protocol: reconnect delays double up to the cap, with jitter, and start over after a reset", "[protocol]") {
    Backoff backoff(std::chrono::milliseconds(1000), std::chrono::milliseconds(30000), 7);
    const std::vector<std::int64_t> full{1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000};
    bool jittered = false;
    for (const std::int64_t f : full) {
        const std::int64_t d = backoff.next().count();
        CHECK(d >= f / 2);
        CHECK(d <= f);
        jittered = jittered || d != f;
    }
    CHECK(jittered);
    backoff.reset();
    CHECK(backoff.next().count() <= 1000);
}

TEST_CASE("Protocol: the token proof is HMAC-SHA256 (RFC 4231 test case 2) and nonces are fresh", "[protocol]") {
    CHECK(token_proof("Jefe", "what do ya want for nothing?") == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    const std::string a = random_nonce(), b = random_nonce();
    CHECK(a.size() == 64);
    CHECK(a != b);
    CHECK(same_proof(token_proof("t", a), token_proof("t", a)));
    CHECK_FALSE(same_proof(token_proof("t", a), token_proof("t", b)));
    CHECK_FALSE(same_proof("abc", "abcd"));
}
