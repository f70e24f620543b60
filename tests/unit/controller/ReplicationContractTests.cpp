// The replication adapter contract (docs/replication.md): the spec's examples are test inputs,
// and adapter programs written here fail in each way an adapter can (a hang, a crash, garbage,
// a refusal) to show each call ends with an error that names the fault.

#include "controller/ReplicationAdapter.hpp"
#include "controller/HelperControl.hpp"
#include "controller/ReplicationContract.hpp"
#include "core/Error.hpp"

#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

using namespace dagda::controller;
using nlohmann::json;

namespace {

// The body of the fenced block "```json NAME" in the spec.
json spec_example(const std::string& name) {
    const std::string spec = dagda::testing::file_bytes(std::string(DAGDA_SOURCE_DIR) + "/docs/replication.md");
    const std::regex block("```json " + name + "\\n([^`]*)```");
    std::smatch match;
    REQUIRE(std::regex_search(spec, match, block));
    return json::parse(match[1].str());
}

// The sentence after the example `name`: "is refused … with `ERROR`".
std::string spec_refusal(const std::string& name) {
    const std::string spec = dagda::testing::file_bytes(std::string(DAGDA_SOURCE_DIR) + "/docs/replication.md");
    const std::regex block("```json " + name + "\\n[^`]*```\\nis refused[^\\n]*with `([^`]*)`");
    std::smatch match;
    REQUIRE(std::regex_search(spec, match, block));
    return match[1].str();
}

ReplicaSession example_session() {
    return discover_answer(spec_example("replication-discover-answer")).at(0);
}

std::string failure_of(const std::function<void()>& call) {
    try {
        call();
    } catch (const dagda::Error& e) {
        return e.what();
    }
    FAIL("the call did not fail");
    return "";
}

// An adapter program: a shell script the test writes, answering `answer` to every request after
// keeping the request in REQUEST.json beside it.
std::string adapter_script(const dagda::testing::TempDir& dir, const std::string& name, const std::string& body) {
    const std::string path = dir.file(name);
    std::ofstream(path) << "#!/bin/sh\ncat > " << dir.file(name + ".request.json") << "\n" << body << "\n";
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
    return path;
}

}  // namespace

TEST_CASE("Replication contract: the spec's requests are what the controller sends", "[controller][replication][spec]") {
    const json discover = replication_request(ReplicationVerb::discover, "r-17");
    CHECK(discover == spec_example("replication-discover-request"));
    const json freeze = replication_request(ReplicationVerb::freeze, "r-18", "srv01-a", {"srv01-disk1.img", "srv01-disk2.img"});
    CHECK(freeze == spec_example("replication-freeze-request"));
    CHECK(volume_names(example_session()) == std::vector<std::string>{"srv01-disk1.img", "srv01-disk2.img"});
}

TEST_CASE("Replication contract: the spec's answers are accepted, its bad answers refused as it says", "[controller][replication][spec]") {
    const ReplicaSession session = example_session();
    CHECK(session.server == "srv01");
    CHECK(session.hypervisor == "local");
    CHECK(session.state == "replicating");
    REQUIRE(session.volumes.size() == 2);
    CHECK(session.volumes[1].bytes == 107374182400ull);
    CHECK(session.as_of == "2026-12-05T09:30:00Z");
    CHECK(session_answer(spec_example("replication-freeze-answer"), "srv01-a", "frozen").as_of == "2026-12-05T09:31:12Z");
    CHECK(session_answer(spec_example("replication-resume-answer"), "srv01-a", "replicating").state == "replicating");
    CHECK(session_answer(spec_example("replication-remove-answer"), "srv01-a", "removed").state == "removed");

    CHECK_THAT(failure_of([] { session_answer(spec_example("replication-refusal-answer"), "srv01-a", "frozen"); }),
               Catch::Equals("refused: the array's link to the source is down"));
    for (const char* name : {"replication-bad-answer-other-session", "replication-bad-answer-still-replicating", "replication-bad-answer-other-contract"})
        CHECK_THAT(failure_of([&] { session_answer(spec_example(name), "srv01-a", "frozen"); }), Catch::Equals(spec_refusal(name)));
    CHECK_THAT(failure_of([] { discover_answer(spec_example("replication-bad-answer-volume-without-size")); }),
               Catch::Equals(spec_refusal("replication-bad-answer-volume-without-size")));
}

TEST_CASE("Replication contract: answers that break it are refused, naming what is wrong", "[controller][replication]") {
    json answer = spec_example("replication-discover-answer");
    const auto refusal = [&](const std::function<void(json&)>& spoil) {
        json spoilt = answer;
        spoil(spoilt);
        return failure_of([&] { discover_answer(spoilt); });
    };
    CHECK_THAT(refusal([](json& a) { a = json::array(); }), Catch::Contains("not a JSON object"));
    CHECK_THAT(refusal([](json& a) { a.erase("ok"); }), Catch::Contains("without \"ok\""));
    CHECK_THAT(refusal([](json& a) { a["ok"] = false; }), Catch::Contains("refused: it gave no reason"));
    CHECK_THAT(refusal([](json& a) { a.erase("sessions"); }), Catch::Contains("without \"sessions\""));
    CHECK_THAT(refusal([](json& a) { a["sessions"][0]["id"] = "../etc"; }), Catch::Contains("not 1 to 64 of"));
    CHECK_THAT(refusal([](json& a) { a["sessions"][0]["state"] = "happy"; }), Catch::Contains("state \"happy\" is none of"));
    CHECK_THAT(refusal([](json& a) { a["sessions"][0]["volumes"][1]["disk"] = 3; }), Catch::Contains("not disks 1, 2, … in order"));
    CHECK_THAT(refusal([](json& a) { a["sessions"][0]["volumes"][0]["volume"] = "/etc/passwd"; }), Catch::Contains("not a volume name of a pool"));
    CHECK_THAT(refusal([](json& a) { a["sessions"][0]["volumes"][0]["bytes"] = -1; }), Catch::Contains("\"bytes\" is not a whole number"));
    CHECK_THAT(refusal([](json& a) { a["sessions"].push_back(a["sessions"][0]); }), Catch::Contains("names session \"srv01-a\" twice"));
    CHECK_THAT(refusal([](json& a) { a["sessions"][0]["volumes"] = json::array(); }), Catch::Contains("not a list of volumes"));
}

TEST_CASE("Replication adapters: a program that answers, hangs, crashes, floods, talks garbage or says no",
          "[controller][replication]") {
    dagda::testing::TempDir dir;
    const ReplicaSession session = example_session();
    const std::string good = adapter_script(dir, "good", "echo '{\"contract\": \"dagda-replication/1\", \"ok\": true, \"session\": \"srv01-a\", \"state\": \"frozen\"}'");
    ExternalAdapter adapter("array", good, std::chrono::seconds(20));
    CHECK(freeze_session(adapter, session).state == "frozen");
    // What it was asked: the contract's request for this session and its volumes.
    const json asked = json::parse(dagda::testing::file_bytes(dir.file("good.request.json")));
    CHECK(asked["verb"] == "freeze");
    CHECK(asked["session"] == "srv01-a");
    CHECK(asked["volumes"] == json({"srv01-disk1.img", "srv01-disk2.img"}));
    // The same answer to a resume: the wrong state, refused.
    CHECK_THAT(failure_of([&] { resume_session(adapter, session); }),
               Catch::Equals("replication adapter \"array\" could not resume session srv01-a: answered state \"frozen\", not \"replicating\""));

    const auto failing = [&](const std::string& name, const std::string& body, std::chrono::seconds timeout = std::chrono::seconds(20)) {
        ExternalAdapter bad(name, adapter_script(dir, name, body), timeout);
        return failure_of([&] { freeze_session(bad, session); });
    };
    const auto start = std::chrono::steady_clock::now();
    CHECK_THAT(failing("hangs", "echo 'waiting for the array' >&2; sleep 60", std::chrono::seconds(1)),
               Catch::Equals("replication adapter \"hangs\" could not freeze session srv01-a: it did not answer within 1 s and was killed "
                             "(it said: waiting for the array)"));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
    CHECK_THAT(failing("crashes", "echo 'segfault ahead' >&2; kill -SEGV $$"),
               Catch::EndsWith("could not freeze session srv01-a: it was ended by signal 11 (it said: segfault ahead)"));
    CHECK_THAT(failing("exits", "echo 'no licence' >&2; exit 4"), Catch::EndsWith("it exited with status 4 (it said: no licence)"));
    CHECK_THAT(failing("garbage", "echo 'OK, frozen!'"), Catch::EndsWith("its answer is not JSON: \"OK, frozen! \""));
    CHECK_THAT(failing("floods", "yes '{}'"), Catch::EndsWith("it wrote more than 1 MiB and was killed"));
    CHECK_THAT(failing("says-no", "echo '{\"contract\": \"dagda-replication/1\", \"ok\": false, \"error\": \"session is syncing\"}'"),
               Catch::EndsWith("could not freeze session srv01-a: refused: session is syncing"));
    ExternalAdapter missing("missing", dir.file("no-such-program"), std::chrono::seconds(5));
    CHECK_THAT(failure_of([&] { discover_sessions(missing); }), Catch::StartsWith("replication adapter \"missing\" could not discover: cannot run "));
}

TEST_CASE("Replication adapters: the controller's option names each one", "[controller][replication]") {
    CHECK(adapter_option("array=/usr/lib/array/adapter") == std::pair<std::string, std::string>{"array", "/usr/lib/array/adapter"});
    CHECK_THROWS_WITH(adapter_option("builtin=/bin/true"), Catch::Contains("built-in engine's"));
    CHECK_THROWS_WITH(adapter_option("Bad Name=/bin/true"), Catch::Contains("1 to 32 of a-z 0-9 -"));
    CHECK_THROWS_WITH(adapter_option("array"), Catch::Contains("NAME=PROGRAM"));
}

TEST_CASE("Replication adapters: a call under way ends at once when the controller stops", "[controller][replication]") {
    dagda::testing::TempDir dir;
    ExternalAdapter adapter("slow", adapter_script(dir, "slow", "sleep 30"), std::chrono::seconds(60));
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        adapter.cancel();
    });
    const auto start = std::chrono::steady_clock::now();
    // Neither done nor failed: the step that asked is taken again after the restart.
    CHECK_THROWS_AS(freeze_session(adapter, example_session()), ControllerStopping);
    stopper.join();
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
    CHECK_THROWS_AS(discover_sessions(adapter), ControllerStopping);  // and no later call starts
}
