// The controller's SQLite state: enrolment and the checks on a hello, jobs and their events
// without loss or duplicates, and everything still there after a restart.

#include "controller/Store.hpp"
#include "core/Error.hpp"
#include "protocol/Proof.hpp"

#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

using namespace dagda;
using dagda::controller::Store;
using dagda::testing::TempDir;

namespace {

std::string admit(Store& store, const std::string& enrolment, const std::string& token, const std::string& machine) {
    const std::string nonce = protocol::random_nonce();
    return store.admit(enrolment, protocol::token_proof(token, nonce), nonce, machine, "boot-1", "dagda 0.3.0", {{"machine", {{"hostname", "rescue"}}}}, 100);
}

std::string refusal(const std::function<void()>& action) {
    try {
        action();
    } catch (const Error& error) {
        return std::string(to_string(error.kind())) + ": " + error.what();
    }
    return "accepted";
}

}  // namespace

TEST_CASE("Store: an enrolled agent is admitted, others are refused", "[controller][store]") {
    TempDir dir;
    Store store(dir.file("controller.db"));
    const std::string token = store.enrol("srv01");
    CHECK(token.size() == 64);
    CHECK_THAT(refusal([&] { store.enrol("srv01"); }), Catch::Contains("exists already"));

    CHECK(admit(store, "srv01", token, "machine-A") == "agent-srv01");
    CHECK(admit(store, "srv01", token, "machine-A") == "agent-srv01");  // a reconnect, a reboot
    CHECK_THAT(refusal([&] { admit(store, "nobody", token, "machine-A"); }), Catch::StartsWith("refused: unauthorized: no enrolment"));
    CHECK_THAT(refusal([&] { admit(store, "srv01", std::string(64, '0'), "machine-A"); }), Catch::Contains("proof does not match"));
    // The same token from another machine: a copied or reused token.
    CHECK_THAT(refusal([&] { admit(store, "srv01", token, "machine-B"); }), Catch::Contains("belongs to another machine"));
    // A proof made for one nonce does not open a session with another (a replayed hello).
    const std::string nonce = protocol::random_nonce();
    const std::string proof = protocol::token_proof(token, nonce);
    CHECK_THAT(refusal([&] { store.admit("srv01", proof, protocol::random_nonce(), "machine-A", "b", "v", {}, 1); }),
               Catch::Contains("proof does not match"));
    REQUIRE(store.agents().size() == 1);
    // The database holds the tokens: the controller's alone.
    struct stat file {};
    REQUIRE(::stat(dir.file("controller.db").c_str(), &file) == 0);
    CHECK((file.st_mode & 0777) == 0600);
    CHECK(store.agents().front().inventory["machine"]["hostname"] == "rescue");
}

TEST_CASE("Store: events are kept once each, the acknowledgement is contiguous, and a restart loses nothing", "[controller][store]") {
    TempDir dir;
    std::string job;
    {
        Store store(dir.file("controller.db"));
        const std::string token = store.enrol("srv01");
        const std::string agent = admit(store, "srv01", token, "machine-A");
        job = store.submit_job(agent, {{"dagda_plan", 1}, {"steps", {{{"step", "machine.reboot"}}}}}, 200);
        CHECK(store.unfinished_job(agent)->id == job);
        store.set_job_state(job, "running", 201);
        CHECK(store.add_event(job, 1, {{"event", "job_started"}}));
        CHECK(store.add_event(job, 2, {{"event", "step_started"}}));
        CHECK(store.add_event(job, 4, {{"event", "step_said"}}));   // 3 lost on the way for now
        CHECK(store.job(job)->acked == 2);
        CHECK_FALSE(store.add_event(job, 2, {{"event", "step_started"}}));  // resent after a reconnect
        CHECK(store.add_event(job, 3, {{"event", "step_progress"}}));
        CHECK(store.job(job)->acked == 4);
    }
    // The controller restarts: the job, its state and its events are all there.
    Store store(dir.file("controller.db"));
    const auto record = store.job(job);
    REQUIRE(record);
    CHECK(record->state == "running");
    CHECK(record->acked == 4);
    CHECK(store.unfinished_job("agent-srv01")->id == job);
    const auto events = store.events(job, 1);
    REQUIRE(events.size() == 3);
    CHECK(events.front().first == 2);
    CHECK(events.back().second["event"] == "step_said");
    store.set_job_state(job, "succeeded", 300);
    CHECK_FALSE(store.unfinished_job("agent-srv01"));
    CHECK_THROWS_AS(store.submit_job("agent-nobody", nlohmann::json::object(), 1), Error);
}
