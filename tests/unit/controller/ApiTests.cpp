// The controller's REST API without a socket: a real Store in a temporary folder, hooks that
// record what the server would be told, and agents admitted with the real `dagda inventory` of
// image files. Every endpoint and every refusal; docs/api.md's examples; the plans of `recover`
// are in ApiRecoverTests.cpp.

#include "ApiTestBench.hpp"

#include "common/Run.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <filesystem>

#include <fstream>
#include <iterator>
#include <regex>
#include <set>

using namespace dagda::testing;
using dagda::controller::ApiResponse;
using nlohmann::json;


TEST_CASE("Api: every request needs the operator's token", "[controller][api]") {
    ApiTestBench bench;
    const auto with = [&](const std::string& authorization) { return bench.api.handle({"GET", "/api/agents", authorization, ""}, 10); };
    for (const std::string& wrong : {std::string(), std::string("Bearer"), std::string("Bearer "), std::string("Basic ") + ApiTestBench::token,
                                     std::string("Bearer ") + ApiTestBench::token + "x", std::string("Bearer wrong-token")}) {
        INFO("Authorization: " << wrong);
        const ApiResponse answer = with(wrong);
        CHECK(answer.status == 401);
        CHECK(answer.body["error"] == "unauthorized");
    }
    CHECK(with(std::string("Bearer ") + ApiTestBench::token).status == 200);
    CHECK(with(std::string("bearer  ") + ApiTestBench::token + " ").status == 200);  // the scheme in any case
    // Refused before routing: an unknown path or a bad body tells nothing without the token.
    CHECK(bench.api.handle({"POST", "/api/nothing", "", "not json"}, 10).status == 401);
    // Outside /api/ is not the API's (the server serves /files/ and /agent itself).
    CHECK(bench.api.handle({"GET", "/index.html", "", ""}, 10).status == 404);

    dagda::controller::Api unconfigured(bench.store, bench.hooks, {"", "", "", "", ""});
    CHECK(unconfigured.handle({"GET", "/api/agents", "Bearer ", ""}, 10).status == 401);
}

TEST_CASE("Api: an enrolment gives a token once per name and refuses bad names", "[controller][api]") {
    ApiTestBench bench;
    const ApiResponse enrolled = bench.call("POST", "/api/enrolments", R"({"name": "srv01.example-lab_2"})");
    REQUIRE(enrolled.status == 201);
    CHECK(enrolled.body["name"] == "srv01.example-lab_2");
    CHECK(std::regex_match(enrolled.body["token"].get<std::string>(), std::regex("[0-9a-f]{64}")));
    const ApiResponse again = bench.call("POST", "/api/enrolments", R"({"name": "srv01.example-lab_2"})");
    CHECK(again.status == 409);
    CHECK(again.body["error"] == "conflict");
    CHECK_THAT(again.body["message"].get<std::string>(), Catch::Contains("exists already"));

    for (const char* body : {R"({"name": ""})", R"({"name": "srv 01"})", R"({"name": "../x"})", R"({"name": 7})", R"({})",
                                    R"({"name": "srv02", "site": "lab"})", R"(["srv02"])", R"({"name": "srv02")", ""}) {
        INFO(body);
        const ApiResponse answer = bench.call("POST", "/api/enrolments", body);
        CHECK(answer.status == 400);
        CHECK(answer.body["error"] == "bad_request");
        CHECK_FALSE(answer.body["message"].get<std::string>().empty());
    }
    CHECK(bench.call("POST", "/api/enrolments", json{{"name", std::string(64, 'a')}}.dump()).status == 201);
    CHECK(bench.call("POST", "/api/enrolments", json{{"name", std::string(65, 'a')}}.dump()).status == 400);
    // Bodies past 8 MiB, and documents nested past the protocol's 64 levels, are not read.
    CHECK(bench.call("POST", "/api/enrolments", std::string((8u << 20) + 1, ' ')).status == 413);
    const std::string deep = "{\"name\": " + std::string(64, '[') + std::string(64, ']') + "}";
    const ApiResponse nested = bench.call("POST", "/api/enrolments", deep);
    CHECK(nested.status == 400);
    CHECK_THAT(nested.body["message"].get<std::string>(), Catch::Contains("deeper than 64"));
}

TEST_CASE("Api: an enrolment may name the MAC its machine boots by PXE with", "[controller][api][pxe]") {
    ApiTestBench bench;
    const ApiResponse enrolled = bench.call("POST", "/api/enrolments", R"({"name": "pxe-box", "mac": "52-54-00-AA-BB-01"})");
    REQUIRE(enrolled.status == 201);
    CHECK(enrolled.body["mac"] == "52:54:00:aa:bb:01");
    const ApiResponse taken = bench.call("POST", "/api/enrolments", R"({"name": "pxe-box2", "mac": "52:54:00:aa:bb:01"})");
    CHECK(taken.status == 409);
    CHECK_THAT(taken.body["message"].get<std::string>(), Catch::Contains("pxe-box"));
    for (const char* body : {R"({"name": "a", "mac": "52:54:00:aa:bb"})", R"({"name": "a", "mac": "52:54:00:aa:bb:0g"})",
                             R"({"name": "a", "mac": "52:54-00:aa:bb:01"})", R"({"name": "a", "mac": 525400})", R"({"name": "a", "mac": null})"}) {
        INFO(body);
        const ApiResponse answer = bench.call("POST", "/api/enrolments", body);
        CHECK(answer.status == 400);
        CHECK_THAT(answer.body["message"].get<std::string>(), Catch::Contains("MAC"));
    }
    CHECK_FALSE(bench.call("POST", "/api/enrolments", R"({"name": "no-mac"})").body.contains("mac"));
    // Arming for the next PXE boot: only an enrolment with a MAC, only by POST.
    const ApiResponse armed = bench.call("POST", "/api/enrolments/pxe-box/arm");
    CHECK(armed.status == 200);
    CHECK(armed.body == json{{"name", "pxe-box"}, {"mac", "52:54:00:aa:bb:01"}, {"armed", true}});
    CHECK(bench.call("POST", "/api/enrolments/no-mac/arm").status == 409);
    CHECK(bench.call("POST", "/api/enrolments/nobody/arm").status == 404);
    CHECK(bench.call("GET", "/api/enrolments/pxe-box/arm").status == 405);
}

TEST_CASE("Api: agents are listed with their inventory and whether they are connected", "[controller][api]") {
    ApiTestBench bench;
    CHECK(bench.call("GET", "/api/agents").body == json{{"agents", json::array()}});
    const json inventory = bench.inventory_of({bench.image("disk-a.img", 64ull << 20)});
    const std::string a = bench.admit("srv01", inventory), b = bench.admit("srv02", inventory);
    CHECK(a == "agent-srv01");
    bench.hooks.connected = {b};
    const ApiResponse listed = bench.call("GET", "/api/agents");
    REQUIRE(listed.status == 200);
    REQUIRE(listed.body["agents"].size() == 2);
    const json& first = listed.body["agents"][0];
    CHECK(first["id"] == a);
    CHECK(first["enrolment"] == "srv01");
    CHECK(first["machine_id"] == "machine-srv01");
    CHECK(first["boot_id"] == "boot-1");
    CHECK(first["agent_version"] == "dagda 0.3.0");
    CHECK(first["last_seen"] == 100);
    CHECK(first["connected"] == false);
    CHECK(first["inventory"] == inventory);
    CHECK(listed.body["agents"][1]["connected"] == true);

    const ApiResponse one = bench.call("GET", "/api/agents/agent-srv02");
    REQUIRE(one.status == 200);
    CHECK(one.body == listed.body["agents"][1]);
    CHECK(bench.call("GET", "/api/agents/agent-%73rv02").body == one.body);  // %-escapes are decoded
    CHECK(bench.call("GET", "/api/agents/agent-nobody").status == 404);
    CHECK(bench.call("GET", "/api/agents/agent-%zz").status == 400);
    const ApiResponse posted = bench.call("POST", "/api/agents", "{}");
    CHECK(posted.status == 405);
    CHECK(posted.allow == "GET");
    CHECK(bench.call("GET", "/api/agents?all=1").status == 400);
}

TEST_CASE("Api: a plan job is queued and handed to the server with one job at a time per agent", "[controller][api]") {
    ApiTestBench bench;
    const std::string agent = bench.admit("srv01", bench.inventory_of({bench.image("disk.img", 64ull << 20)}));
    const json plan = api_examples().at("job-plan-request")["plan"];
    const ApiResponse created = bench.call("POST", "/api/jobs", json{{"agent", agent}, {"plan", plan}}.dump(), 200);
    REQUIRE(created.status == 201);
    const std::string id = created.body["id"];
    CHECK(bench.hooks.submitted == std::vector<std::pair<std::string, std::string>>{{agent, id}});
    CHECK(bench.store.job(id)->plan == plan);
    CHECK(bench.store.job(id)->state == "queued");
    CHECK(bench.store.job(id)->created == 200);

    const ApiResponse second = bench.call("POST", "/api/jobs", json{{"agent", agent}, {"plan", plan}}.dump());
    CHECK(second.status == 409);
    CHECK_THAT(second.body["message"].get<std::string>(), Catch::Contains(id) && Catch::Contains("queued"));
    CHECK(bench.call("POST", "/api/jobs", json{{"agent", "agent-nobody"}, {"plan", plan}}.dump()).status == 404);
    CHECK(bench.hooks.submitted.size() == 1);

    // Ended jobs do not count: the agent takes the next one.
    bench.store.set_job_state(id, "failed", 300);
    CHECK(bench.call("POST", "/api/jobs", json{{"agent", agent}, {"plan", plan}}.dump()).status == 201);
}

TEST_CASE("Api: a malformed job is refused with what is wrong", "[controller][api]") {
    ApiTestBench bench;
    const std::string agent = bench.admit("srv01", bench.inventory_of({bench.image("disk.img", 64ull << 20)}));
    const json plan{{"dagda_plan", 1}, {"steps", json::array()}};
    const std::vector<std::pair<json, std::string>> cases{
        {{{"plan", plan}}, "needs an \"agent\""},
        {{{"agent", 7}, {"plan", plan}}, "needs an \"agent\""},
        {{{"agent", agent}}, "one of a \"plan\", a \"recover\" request or a \"backup\""},
        {{{"agent", agent}, {"plan", plan}, {"recover", {{"archive", "a.tib"}}}}, "one of a \"plan\", a \"recover\" request or a \"backup\""},
        {{{"agent", agent}, {"plan", plan}, {"priority", 1}}, "unknown key \"priority\""},
        {{{"agent", agent}, {"plan", "plan.json"}}, "must be a JSON object"},
        {{{"agent", agent}, {"plan", {{"steps", json::array()}}}}, "\"dagda_plan\": 1"},
        {{{"agent", agent}, {"plan", {{"dagda_plan", 2}, {"steps", json::array()}}}}, "\"dagda_plan\": 1"},
        {{{"agent", agent}, {"plan", {{"dagda_plan", 1}}}}, "\"steps\""},
        {{{"agent", agent}, {"plan", {{"dagda_plan", 1}, {"steps", json::object()}}}}, "\"steps\""},
        {{{"agent", agent}, {"recover", "monday.tib"}}, "\"recover\" must be a JSON object"},
    };
    for (const auto& [body, message] : cases) {
        INFO(body.dump());
        const ApiResponse answer = bench.call("POST", "/api/jobs", body.dump());
        CHECK(answer.status == 400);
        CHECK_THAT(answer.body["message"].get<std::string>(), Catch::Contains(message));
    }
    // A plan the protocol could not carry in a job offer (1 MiB frames) is refused here, not lost later.
    json large = plan;
    large["comment"] = std::string(1u << 20, 'x');
    const ApiResponse too_large = bench.call("POST", "/api/jobs", json{{"agent", agent}, {"plan", large}}.dump());
    CHECK(too_large.status == 413);
    CHECK(too_large.body["error"] == "too_large");
    CHECK(bench.call("POST", "/api/jobs?agent=" + agent, json{{"agent", agent}, {"plan", plan}}.dump()).status == 400);
    CHECK(bench.hooks.submitted.empty());
    CHECK(bench.store.jobs(std::nullopt, 10).empty());
}

TEST_CASE("Api: jobs are listed newest first and read back whole", "[controller][api]") {
    ApiTestBench bench;
    const json inventory = bench.inventory_of({bench.image("disk.img", 64ull << 20)});
    const std::string a = bench.admit("srv01", inventory), b = bench.admit("srv02", inventory);
    const json plan{{"dagda_plan", 1}, {"steps", {{{"step", "machine.reboot"}}}}};
    std::vector<std::string> ids;
    // Eleven jobs, so "job-10" and "job-11" must sort after "job-9" by submission, not as text.
    for (int i = 0; i < 11; ++i) {
        const std::string& agent = i % 2 ? b : a;
        const ApiResponse created = bench.call("POST", "/api/jobs", json{{"agent", agent}, {"plan", plan}}.dump(), 1000 + i);
        REQUIRE(created.status == 201);
        ids.push_back(created.body["id"]);
        bench.store.set_job_state(ids.back(), "succeeded", 2000 + i);
    }
    const json all = bench.call("GET", "/api/jobs").body["jobs"];
    REQUIRE(all.size() == 11);
    for (std::size_t i = 0; i < 11; ++i) CHECK(all[i]["id"] == ids[10 - i]);
    CHECK_FALSE(all[0].contains("plan"));
    const json only_b = bench.call("GET", "/api/jobs?agent=" + b).body["jobs"];
    REQUIRE(only_b.size() == 5);
    CHECK(std::all_of(only_b.begin(), only_b.end(), [&](const json& job) { return job["agent"] == b; }));
    CHECK(bench.call("GET", "/api/jobs?agent=agent-nobody").body["jobs"].empty());
    CHECK(bench.call("GET", "/api/jobs?state=running").status == 400);

    bench.store.set_job_state(ids[0], "refused", 3000, "busy: another job runs");
    const ApiResponse one = bench.call("GET", "/api/jobs/" + ids[0]);
    REQUIRE(one.status == 200);
    CHECK(one.body == json{{"id", ids[0]}, {"agent", a}, {"state", "refused"}, {"plan", plan}, {"created", 1000}, {"updated", 3000},
                           {"acked", 0}, {"reason", "busy: another job runs"}});
    CHECK(bench.call("GET", "/api/jobs/" + ids[1]).body["reason"].is_null());
    CHECK(bench.call("GET", "/api/jobs/job-99").status == 404);
    CHECK(bench.call("DELETE", "/api/jobs/" + ids[0]).status == 405);
    const ApiResponse wrong = bench.call("PUT", "/api/jobs");
    CHECK(wrong.status == 405);
    CHECK(wrong.allow == "GET, POST");
    CHECK(wrong.body["error"] == "method_not_allowed");
}

TEST_CASE("Api: events are read in order after a number and at most 1000 at a time", "[controller][api]") {
    ApiTestBench bench;
    const std::string agent = bench.admit("srv01", bench.inventory_of({bench.image("disk.img", 64ull << 20)}));
    const std::string job = bench.store.submit_job(agent, {{"dagda_plan", 1}, {"steps", json::array()}}, 10);
    bench.store.set_job_state(job, "running", 11);
    for (std::int64_t seq = 1; seq <= 1003; ++seq)
        bench.store.add_event(job, seq, {{"event", "step_progress"}, {"step", 1}, {"name", "image.restore"}, {"done", seq}, {"total", 1003}, {"rate", 1e6}});

    const ApiResponse first = bench.call("GET", "/api/jobs/" + job + "/events");
    REQUIRE(first.status == 200);
    CHECK(first.body["job"] == job);
    CHECK(first.body["state"] == "running");
    REQUIRE(first.body["events"].size() == 1000);
    CHECK(first.body["events"][0] == json{{"seq", 1}, {"event", bench.store.events(job, 0, 1).events[0].second}});
    CHECK(first.body["events"][999]["seq"] == 1000);
    const json rest = bench.call("GET", "/api/jobs/" + job + "/events?after=1000").body["events"];
    REQUIRE(rest.size() == 3);
    CHECK(rest[0]["seq"] == 1001);
    CHECK(rest[2]["event"]["done"] == 1003);
    CHECK(bench.call("GET", "/api/jobs/" + job + "/events?after=1003").body["events"].empty());
    for (const std::string after : {"-1", "x", "", "1e3", "99999999999999999999"}) {
        INFO("after=" << after);
        CHECK(bench.call("GET", "/api/jobs/" + job + "/events?after=" + after).status == 400);
    }
    CHECK(bench.call("GET", "/api/jobs/job-99/events").status == 404);
    CHECK(bench.call("GET", "/api/jobs/" + job + "/events?from=3").status == 400);
}

TEST_CASE("Api: cancel ends a queued job at once and asks the agent for a held one", "[controller][api]") {
    ApiTestBench bench;
    const std::string agent = bench.admit("srv01", bench.inventory_of({bench.image("disk.img", 64ull << 20)}));
    const json plan{{"dagda_plan", 1}, {"steps", json::array()}};
    const std::string queued = bench.store.submit_job(agent, plan, 10);
    const ApiResponse cancelled = bench.call("POST", "/api/jobs/" + queued + "/cancel", "", 20);
    CHECK(cancelled.status == 202);
    CHECK(cancelled.body == json{{"id", queued}, {"state", "cancelled"}});
    CHECK(bench.store.job(queued)->state == "cancelled");
    CHECK(bench.store.job(queued)->updated == 20);
    CHECK_FALSE(bench.store.job(queued)->reason.empty());
    CHECK(bench.hooks.cancel_requests.empty());
    CHECK_FALSE(bench.store.unfinished_job(agent));

    for (const std::string state : {"offered", "running"}) {
        const std::string held = bench.store.submit_job(agent, plan, 30);
        bench.store.set_job_state(held, state, 31);
        const ApiResponse asked = bench.call("POST", "/api/jobs/" + held + "/cancel", "{}", 40);
        CHECK(asked.status == 202);
        CHECK(asked.body == json{{"id", held}, {"state", state}});
        CHECK(bench.hooks.cancel_requests.back() == std::make_pair(agent, held));
        CHECK(bench.store.job(held)->state == state);  // the agent reports how it ends
        bench.store.set_job_state(held, "cancelled", 50);
    }
    CHECK(bench.hooks.cancel_requests.size() == 2);
    for (const std::string state : {"succeeded", "failed", "cancelled", "refused"}) {
        bench.store.set_job_state(queued, state, 60);
        const ApiResponse ended = bench.call("POST", "/api/jobs/" + queued + "/cancel");
        CHECK(ended.status == 409);
        CHECK_THAT(ended.body["message"].get<std::string>(), Catch::Contains(state));
    }
    CHECK(bench.call("POST", "/api/jobs/job-99/cancel").status == 404);
    CHECK(bench.call("GET", "/api/jobs/" + queued + "/cancel").status == 405);
}

TEST_CASE("Api: unknown paths are not found", "[controller][api]") {
    ApiTestBench bench;
    for (const std::string path : {"/api", "/api/", "/api/job", "/api/jobs/", "/api/jobs/job-1/log", "/api/jobs/job-1/events/2",
                                   "/api/agents/agent-x/jobs", "/api/enrolments/srv01"}) {
        INFO(path);
        const ApiResponse answer = bench.call("GET", path);
        CHECK(answer.status == 404);
        CHECK(answer.body["error"] == "not_found");
    }
}

TEST_CASE("docs/api.md: every example answer has the keys the API answers with", "[controller][api][docs]") {
    const std::map<std::string, json> examples = api_examples();
    REQUIRE(examples.size() == 21);
    ApiTestBench bench;
    const ApiResponse enrolled = bench.call("POST", "/api/enrolments", examples.at("enrolment-request").dump());
    CHECK(keys_of(enrolled.body) == keys_of(examples.at("enrolment-response")));
    const ApiResponse enrolled_for_pxe = bench.call("POST", "/api/enrolments", examples.at("enrolment-pxe-request").dump());
    CHECK(keys_of(enrolled_for_pxe.body) == keys_of(examples.at("enrolment-pxe-response")));
    CHECK(enrolled_for_pxe.body["mac"] == examples.at("enrolment-pxe-response")["mac"]);
    const std::string agent = bench.admit("srv01", bench.inventory_of({bench.image("disk.img", 64ull << 20)}), enrolled.body["token"].get<std::string>());
    REQUIRE(agent == examples.at("job-plan-request")["agent"]);
    const json agents = bench.call("GET", "/api/agents").body;
    CHECK(keys_of(agents) == keys_of(examples.at("agents-response")));
    const json enrolments = bench.call("GET", "/api/enrolments").body;
    CHECK(keys_of(enrolments) == keys_of(examples.at("enrolments-response")));
    REQUIRE(enrolments["enrolments"].size() == 2);
    for (std::size_t i = 0; i < 2; ++i) {
        const json& listed = enrolments["enrolments"][i];
        const json& example = examples.at("enrolments-response")["enrolments"][i];
        CHECK(keys_of(listed) == keys_of(example));
        CHECK(listed["name"] == example["name"]);
        CHECK(listed["mac"] == example["mac"]);
        CHECK(listed["armed"] == example["armed"]);
        CHECK(listed["agent"] == example["agent"]);
        CHECK(listed["machine_id"].is_null() == example["machine_id"].is_null());
    }
    CHECK(keys_of(agents["agents"][0]) == keys_of(examples.at("agents-response")["agents"][0]));

    // The recovery example names an archive this controller does not have: refused for that,
    // not for any of its keys.
    const ApiResponse recover = bench.call("POST", "/api/jobs", examples.at("job-recover-request").dump());
    CHECK(recover.status == 400);
    CHECK_THAT(recover.body["message"].get<std::string>(), Catch::Contains("no archive \"monday.tib\""));
    CHECK(keys_of(recover.body) == keys_of(examples.at("error-response")));

    const ApiResponse created = bench.call("POST", "/api/jobs", examples.at("job-plan-request").dump());
    REQUIRE(created.status == 201);
    CHECK(keys_of(created.body) == keys_of(examples.at("job-created-response")));
    const std::string job = created.body["id"];
    CHECK(keys_of(bench.call("GET", "/api/jobs/" + job).body) == keys_of(examples.at("job-response")));
    const json jobs = bench.call("GET", "/api/jobs").body;
    CHECK(keys_of(jobs) == keys_of(examples.at("jobs-response")));
    CHECK(keys_of(jobs["jobs"][0]) == keys_of(examples.at("jobs-response")["jobs"][0]));
    bench.store.add_event(job, 1, examples.at("events-response")["events"][0]["event"]);
    const json events = bench.call("GET", "/api/jobs/" + job + "/events").body;
    CHECK(keys_of(events) == keys_of(examples.at("events-response")));
    CHECK(keys_of(events["events"][0]) == keys_of(examples.at("events-response")["events"][0]));
    bench.store.set_job_state(job, "running", 500);
    CHECK(keys_of(bench.call("POST", "/api/jobs/" + job + "/cancel").body) == keys_of(examples.at("cancel-response")));
}
