// The controller's SQLite state: enrolment and the checks on a hello, jobs and their events
// without loss or duplicates, and everything still there after a restart.

#include "controller/Store.hpp"
#include "core/Error.hpp"
#include "protocol/Proof.hpp"

#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>

using namespace dagda;
using dagda::controller::EventAdmission;
using dagda::controller::Store;
using dagda::testing::TempDir;

namespace {

std::string admit(Store& store, const std::string& enrolment, const std::string& token, const std::string& machine) {
    const std::string nonce = protocol::random_nonce();
    return store.admit({enrolment, protocol::token_proof(token, nonce), nonce, machine, "boot-1", "dagda 0.3.0", {{"machine", {{"hostname", "rescue"}}}}, "10.0.0.9"}, 100)
        .agent_id;
}

bool stored(const EventAdmission& admission) { return admission.kind == EventAdmission::Kind::stored; }

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
    CHECK_THAT(refusal([&] { store.admit({"srv01", proof, protocol::random_nonce(), "machine-A", "b", "v", {}, "10.0.0.9"}, 1); }),
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
        CHECK(stored(store.add_event(job, 1, {{"event", "job_started"}})));
        CHECK(stored(store.add_event(job, 2, {{"event", "step_started"}})));
        CHECK(stored(store.add_event(job, 4, {{"event", "step_said"}})));   // 3 lost on the way for now
        CHECK(store.job(job)->acked == 2);
        CHECK(store.add_event(job, 2, {{"event", "step_started"}}).kind == EventAdmission::Kind::duplicate);  // resent after a reconnect
        CHECK(stored(store.add_event(job, 3, {{"event", "step_progress"}})));
        CHECK(store.job(job)->acked == 4);
    }
    // The controller restarts: the job, its state and its events are all there.
    Store store(dir.file("controller.db"));
    const auto record = store.job(job);
    REQUIRE(record);
    CHECK(record->state == "running");
    CHECK(record->acked == 4);
    CHECK(store.unfinished_job("agent-srv01")->id == job);
    const auto events = store.events(job, 1).events;
    REQUIRE(events.size() == 3);
    CHECK(events.front().first == 2);
    CHECK(events.back().second["event"] == "step_said");
    store.set_job_state(job, "succeeded", 300);
    CHECK_FALSE(store.unfinished_job("agent-srv01"));
    CHECK_THROWS_AS(store.submit_job("agent-nobody", nlohmann::json::object(), 1), Error);
}

TEST_CASE("Store: an agent cannot make the controller keep more than a job's bounded events", "[controller][store][limits]") {
    TempDir dir;
    Store store(dir.file("controller.db"));
    const std::string agent = admit(store, "srv01", store.enrol("srv01"), "machine-A");
    const std::string job = store.submit_job(agent, {{"dagda_plan", 1}, {"steps", nlohmann::json::array()}}, 200);
    store.set_job_state(job, "running", 201);
    store.set_event_limits({1024, 8192, 40});

    // An event over the size limit is kept cut: its kind and step, the start of its text.
    const std::string megabyte(1u << 20, 'x');
    REQUIRE(stored(store.add_event(job, 1, {{"event", "step_said"}, {"step", 1}, {"text", megabyte}, {"details", {{"blob", megabyte}}}})));
    const nlohmann::json cut = store.events(job, 0).events.at(0).second;
    CHECK(cut["event"] == "step_said");
    CHECK(cut["step"] == 1);
    CHECK(cut["x-cut"] == true);
    CHECK(cut["text"].get<std::string>().size() < 5000);
    CHECK(cut.dump().size() < 10000);

    // Past the job's byte budget, progress keeps only its kind and step ...
    std::int64_t seq = 2;
    for (; seq <= 20; ++seq) REQUIRE(stored(store.add_event(job, seq, {{"event", "step_progress"}, {"step", 2}, {"name", "image.restore"}, {"text", std::string(900, 'p')}})));
    const nlohmann::json late = store.events(job, 19).events.at(0).second;
    CHECK(late == nlohmann::json{{"event", "step_progress"}, {"step", 2}, {"name", "image.restore"}, {"x-cut", "over the job's event budget"}});
    // ... and past its count, nothing is kept.
    for (; seq <= 40; ++seq) REQUIRE(stored(store.add_event(job, seq, {{"event", "step_progress"}, {"step", 2}})));
    const EventAdmission over = store.add_event(job, 41, {{"event", "step_progress"}, {"step", 2}});
    CHECK(over.kind == EventAdmission::Kind::refused);
    CHECK_THAT(over.reason, Catch::Contains("40 events"));
    CHECK(store.job(job)->acked == 40);

    // The byte size of a page is bounded too, with at least one event and a flag for the rest.
    const auto page = store.events(job, 0, 1000, 2000);
    CHECK(page.events.size() < 40);
    CHECK(page.more);
    CHECK(store.events(job, 0, 1000, 1).events.size() == 1);
}

TEST_CASE("Store: after its result a job takes only the events lost before it", "[controller][store][limits]") {
    TempDir dir;
    Store store(dir.file("controller.db"));
    const std::string agent = admit(store, "srv01", store.enrol("srv01"), "machine-A");
    const std::string job = store.submit_job(agent, {{"dagda_plan", 1}, {"steps", nlohmann::json::array()}}, 200);
    store.set_job_state(job, "running", 201);
    REQUIRE(stored(store.add_event(job, 1, {{"event", "job_started"}})));
    REQUIRE(stored(store.add_event(job, 3, {{"event", "job_result"}, {"outcome", "succeeded"}})));
    store.set_job_state(job, "succeeded", 202);
    CHECK(stored(store.add_event(job, 2, {{"event", "job_finished"}})));  // lost before the result, resent
    CHECK(store.job(job)->acked == 3);
    CHECK(store.add_event(job, 3, {{"event", "job_result"}, {"outcome", "succeeded"}}).kind == EventAdmission::Kind::duplicate);
    for (const std::int64_t late : {std::int64_t{4}, std::int64_t{1} << 40}) {
        const EventAdmission after = store.add_event(job, late, {{"event", "step_said"}, {"text", "after the end"}});
        CHECK(after.kind == EventAdmission::Kind::refused);
        CHECK_THAT(after.reason, Catch::Contains("has ended"));
    }
    // A job that ended without a result (cancelled before an agent took it) takes none at all.
    const std::string never = store.submit_job(agent, {{"dagda_plan", 1}, {"steps", nlohmann::json::array()}}, 300);
    store.set_job_state(never, "cancelled", 301);
    CHECK(store.add_event(never, 1, {{"event", "job_started"}}).kind == EventAdmission::Kind::refused);
    CHECK(store.events(never, 0).events.empty());
}

TEST_CASE("Store: jobs are listed newest first and keep the reason of their state", "[controller][store]") {
    TempDir dir;
    Store store(dir.file("controller.db"));
    const std::string a = admit(store, "srv01", store.enrol("srv01"), "machine-A");
    const std::string b = admit(store, "srv02", store.enrol("srv02"), "machine-B");
    std::vector<std::string> ids;
    for (int i = 0; i < 12; ++i) ids.push_back(store.submit_job(i % 3 ? a : b, {{"dagda_plan", 1}, {"steps", nlohmann::json::array()}}, 50));
    const auto all = store.jobs(std::nullopt, 100);
    REQUIRE(all.size() == 12);
    CHECK(all.front().id == ids.back());  // job-12 before job-9, though not as text
    CHECK(all.back().id == ids.front());
    const auto newest = store.jobs(std::nullopt, 3);
    REQUIRE(newest.size() == 3);
    CHECK(newest[2].id == ids[9]);
    const auto of_b = store.jobs(b, 100);
    REQUIRE(of_b.size() == 4);
    CHECK(std::all_of(of_b.begin(), of_b.end(), [&](const auto& job) { return job.agent_id == b; }));
    CHECK(store.jobs(std::string("agent-nobody"), 100).empty());

    store.set_job_state(ids[0], "refused", 60, "invalid: the plan has no disk \"t\"");
    CHECK(store.job(ids[0])->reason == "invalid: the plan has no disk \"t\"");
    store.set_job_state(ids[0], "queued", 61);  // a new state without a reason clears the old one
    CHECK(store.job(ids[0])->reason.empty());
    CHECK_THROWS_AS(store.set_job_state("job-99", "failed", 62, "why"), Error);

    for (std::int64_t seq = 1; seq <= 5; ++seq) store.add_event(ids[0], seq, {{"event", "step_said"}, {"text", std::to_string(seq)}});
    const auto some = store.events(ids[0], 1, 2).events;
    REQUIRE(some.size() == 2);
    CHECK(some.front().first == 2);
    CHECK(some.back().first == 3);
    CHECK(store.events(ids[0], 0).events.size() == 5);
    CHECK(store.events(ids[0], 1, 2).more);
    CHECK_FALSE(store.events(ids[0], 3, 2).more);
}

TEST_CASE("Store: a database of schema version 1 is migrated and keeps its jobs", "[controller][store]") {
    TempDir dir;
    const std::string path = dir.file("controller.db");
    {
        // What the first controller wrote: schema 1, frozen here as it shipped.
        dagda::controller::Database v1(path);
        v1.execute(R"sql(
CREATE TABLE enrolments (name TEXT PRIMARY KEY, token TEXT NOT NULL, machine_id TEXT);
CREATE TABLE agents (id TEXT PRIMARY KEY, enrolment TEXT NOT NULL UNIQUE REFERENCES enrolments(name), machine_id TEXT NOT NULL,
  boot_id TEXT NOT NULL, agent_version TEXT NOT NULL, inventory TEXT NOT NULL, last_seen INTEGER NOT NULL);
CREATE TABLE jobs (id TEXT PRIMARY KEY, agent_id TEXT NOT NULL REFERENCES agents(id), plan TEXT NOT NULL, state TEXT NOT NULL,
  created INTEGER NOT NULL, updated INTEGER NOT NULL, acked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE events (job TEXT NOT NULL REFERENCES jobs(id), seq INTEGER NOT NULL, event TEXT NOT NULL, PRIMARY KEY (job, seq));
INSERT INTO enrolments VALUES ('srv01', 'aa', 'machine-A');
INSERT INTO agents VALUES ('agent-srv01', 'srv01', 'machine-A', 'boot-1', 'dagda 0.3.0', '{}', 10);
INSERT INTO jobs VALUES ('job-1', 'agent-srv01', '{"dagda_plan": 1, "steps": []}', 'running', 20, 21, 3);
INSERT INTO events VALUES ('job-1', 1, '{"event":"job_started"}');
INSERT INTO events VALUES ('job-1', 2, '{"event":"step_started"}');
INSERT INTO events VALUES ('job-1', 3, '{"event":"step_said"}');
PRAGMA user_version = 1;
)sql");
    }
    {
        Store store(path);
        const auto job = store.job("job-1");
        REQUIRE(job);
        CHECK(job->state == "running");
        CHECK(job->acked == 3);
        CHECK(job->reason.empty());
        // Version 4 counted the events already held into the job's budget: a small budget is spent.
        store.set_event_limits({64u << 10, 1 << 20, 4});
        CHECK(stored(store.add_event("job-1", 4, {{"event", "step_finished"}})));
        CHECK(store.add_event("job-1", 5, {{"event", "step_finished"}}).kind == EventAdmission::Kind::refused);
        store.set_job_state("job-1", "cancelled", 30, "cancelled by the operator");
    }
    Store reopened(path);  // already at version 7: opened as it is
    CHECK(reopened.job("job-1")->reason == "cancelled by the operator");
    CHECK_FALSE(reopened.enrolment_for_mac("52:54:00:aa:bb:01"));  // a v1 enrolment has no MAC
    CHECK(reopened.enrol("pxe-box", "52:54:00:aa:bb:01").size() == 64);
    dagda::controller::Database raw(path);
    dagda::controller::Statement version(raw, "PRAGMA user_version");
    REQUIRE(version.step());
    CHECK(version.number(0) == 11);
}

TEST_CASE("Store: a database of a newer controller is not opened", "[controller][store]") {
    TempDir dir;
    const std::string path = dir.file("controller.db");
    dagda::controller::Database(path).execute("PRAGMA user_version = 12;");
    CHECK_THROWS_WITH(Store(path), Catch::Contains("newer controller"));
}

TEST_CASE("Store: an enrolment made for a MAC is found by it, once, and admits only a machine with that card", "[controller][store][pxe]") {
    TempDir dir;
    Store store(dir.file("controller.db"));
    const std::string token = store.enrol("pxe-box", "52:54:00:aa:bb:01");
    const auto found = store.enrolment_for_mac("52:54:00:aa:bb:01");
    REQUIRE(found);
    CHECK(found->name == "pxe-box");
    CHECK(found->token == token);
    CHECK(found->armed);  // a MAC enrolment's first PXE boot gets its agent
    CHECK_FALSE(store.enrolment_for_mac("52:54:00:aa:bb:02"));
    CHECK_FALSE(store.enrolment_for_mac(""));
    CHECK_THAT(refusal([&] { store.enrol("other", "52:54:00:aa:bb:01"); }), Catch::StartsWith("refused") && Catch::Contains("pxe-box"));
    CHECK_THAT(refusal([&] { store.enrol("other", "52-54-00-AA-BB-03"); }), Catch::StartsWith("usage"));
    CHECK(store.enrol("plain").size() == 64);  // enrolments without a MAC do not collide with each other
    CHECK(store.enrol("plain2").size() == 64);

    const auto hello = [&](const nlohmann::json& inventory) {
        const std::string nonce = protocol::random_nonce();
        return refusal([&] { store.admit({"pxe-box", protocol::token_proof(token, nonce), nonce, "machine-a", "boot-1", "dagda", inventory, "10.0.0.9"}, 100); });
    };
    CHECK_THAT(hello({{"network", {{{"mac", "52:54:00:aa:bb:02"}}}}}), Catch::Contains("no such network card"));
    CHECK_THAT(hello({{"machine", {{"hostname", "x"}}}}), Catch::Contains("no such network card"));
    CHECK_THAT(hello({{"network", {{{"mac", 7}}, {{"name", "eth9"}}}}}), Catch::Contains("no such network card"));
    CHECK(store.enrolment_for_mac("52:54:00:aa:bb:01")->armed);  // refused hellos disarm nothing
    CHECK(hello({{"network", {{{"mac", "52:54:00:aa:bb:02"}}, {{"mac", "52:54:00:AA:BB:01"}}}}}) == "accepted");
    CHECK_FALSE(store.enrolment_for_mac("52:54:00:aa:bb:01")->armed);  // the agent is up: no more tokens handed out
    CHECK(store.arm_boot("pxe-box") == "52:54:00:aa:bb:01");
    CHECK(store.enrolment_for_mac("52:54:00:aa:bb:01")->armed);
    CHECK_THAT(refusal([&] { store.arm_boot("plain"); }), Catch::StartsWith("refused"));
    CHECK_THAT(refusal([&] { store.arm_boot("nobody"); }), Catch::StartsWith("usage"));
}

TEST_CASE("Store: a PXE token is bound to its first machine only when that agent connects from where the token was fetched",
          "[controller][store]") {
    TempDir dir;
    Store store(dir.file("controller.db"));
    const std::string token = store.enrol("pxe-box", "52:54:00:aa:bb:01");
    const nlohmann::json inventory{{"network", {{{"mac", "52:54:00:aa:bb:01"}}}}};
    const auto hello = [&](const std::string& machine, const std::string& from) {
        const std::string nonce = protocol::random_nonce();
        return store.admit({"pxe-box", protocol::token_proof(token, nonce), nonce, machine, "boot-1", "dagda", inventory, from}, 100);
    };
    const auto bound_to = [&] { return store.enrolments().front().machine_id; };
    // Never fetched from the boot port (handed over some other way): the MAC check alone applies.
    CHECK(hello("machine-x", "10.0.0.7").not_bound == "no PXE boot fetched its token from the boot port since it was armed");
    CHECK(bound_to().empty());
    // A copy of the script read off the wire, used from another address: admitted (it names the
    // card), but the token is not bound to that machine, so the real one is not locked out.
    store.arm_boot("pxe-box");
    store.token_fetched("pxe-box", "10.0.0.5");
    CHECK(hello("machine-x", "10.0.0.66").not_bound == "its token was fetched from 10.0.0.5 and the agent connects from 10.0.0.66");
    CHECK(bound_to().empty());
    // The machine that fetched it: bound, and from then on another machine is refused.
    store.arm_boot("pxe-box");
    store.token_fetched("pxe-box", "10.0.0.5");
    CHECK(hello("machine-real", "10.0.0.5").not_bound.empty());
    CHECK(bound_to() == "machine-real");
    CHECK(store.agents().front().machine_id == "machine-real");
    CHECK_THAT(refusal([&] { hello("machine-x", "10.0.0.5"); }), Catch::Contains("belongs to another machine"));
    // Arming again forgets the last fetch: a new boot proves its address anew.
    store.arm_boot("pxe-box");
    CHECK(hello("machine-real", "10.0.0.8").not_bound.empty());  // bound already: nothing to bind
    // An enrolment without a MAC (a token typed or handed through fw_cfg) binds on first use.
    const std::string plain = store.enrol("plain");
    const std::string nonce = protocol::random_nonce();
    CHECK(store.admit({"plain", protocol::token_proof(plain, nonce), nonce, "machine-p", "b", "v", {}, "10.0.0.3"}, 1).not_bound.empty());
    CHECK(store.enrolments().front().machine_id == "machine-p");  // sorted by name: "plain" first
}

TEST_CASE("Store: a helper VM's token is renewed for each boot, its old token and binding void, and helper- names are the controller's",
          "[controller][store]") {
    TempDir dir;
    Store store(dir.file("controller.db"));
    CHECK_THAT(refusal([&] { store.enrol("helper-local"); }), Catch::Contains("the controller's own"));
    const std::string first = store.renew_token("helper-local");  // made when missing
    CHECK(admit(store, "helper-local", first, "helper-machine-1") == "agent-helper-local");
    const std::string second = store.renew_token("helper-local");
    CHECK(second != first);
    CHECK_THAT(refusal([&] { admit(store, "helper-local", first, "helper-machine-1"); }), Catch::Contains("unauthorized"));
    // The binding to the first machine is forgotten: a helper defined again is another machine.
    CHECK(admit(store, "helper-local", second, "helper-machine-2") == "agent-helper-local");
    // A PXE machine's enrolment is never taken over.
    store.enrol("rack-7", "52:54:00:12:34:56");
    CHECK_THAT(refusal([&] { store.renew_token("rack-7"); }), Catch::Contains("not a helper VM's"));
}
