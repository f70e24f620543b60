// The job runner with small steps defined here: order, the one catch boundary, resume from a
// checkpoint, the rollback of an interrupted in-place edit, cancel, and a journal of another plan.

#include "core/Error.hpp"
#include "jobs/JobRunner.hpp"

#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

using namespace dagda;
using namespace dagda::jobs;
using dagda::testing::TempDir;
using nlohmann::json;

namespace {

/// What the test steps did, in order.
struct World {
    std::vector<std::string> log;
    int fail_count_at = -1;  ///< test.count throws once when it reaches this item
    bool fail_edit = false;  ///< test.edit throws once
};

StepRegistry registry_for(World& world) {
    StepRegistry registry;
    registry.add({"test.write", "writes its word", Resume::rerun,
                  [](const json& args) {
                      std::vector<std::string> problems;
                      if (!args.contains("word")) problems.push_back("\"word\" is missing");
                      return problems;
                  },
                  [](const json& args) { return std::vector<std::string>{"Write " + args.value("word", "?")}; },
                  [&world](const json& args, StepContext& context) {
                      world.log.push_back(args.at("word").get<std::string>());
                      context.say("wrote " + args.at("word").get<std::string>());
                  },
                  [](const json&) { return std::string("disk:x"); }, std::vector<ArgumentSpec>{}});
    registry.add({"test.count", "counts to ten with a checkpoint per item", Resume::checkpoint, [](const json&) { return std::vector<std::string>{}; },
                  [](const json&) { return std::vector<std::string>{"Count to 10"}; },
                  [&world](const json&, StepContext& context) {
                      int next = context.saved_state().is_null() ? 0 : context.saved_state().at("next").get<int>();
                      for (; next < 10; ++next) {
                          if (next == world.fail_count_at) {
                              world.fail_count_at = -1;
                              throw Error(ErrorKind::failed, "the source went away at item " + std::to_string(next));
                          }
                          world.log.push_back("count " + std::to_string(next));
                          context.progress(static_cast<std::uint64_t>(next + 1), 10, "counting");
                          context.save_state({{"next", next + 1}});
                      }
                  },
                  [](const json&) { return std::string("disk:x"); }, std::vector<ArgumentSpec>{}});
    registry.add({"test.edit", "edits what test.count wrote", Resume::rebuild, [](const json&) { return std::vector<std::string>{}; },
                  [](const json&) { return std::vector<std::string>{"Edit"}; },
                  [&world](const json&, StepContext&) {
                      world.log.push_back("edit");
                      if (world.fail_edit) {
                          world.fail_edit = false;
                          throw std::runtime_error("killed half way");  // not a dagda::Error: still caught once
                      }
                  },
                  [](const json&) { return std::string("disk:x"); }, std::vector<ArgumentSpec>{}});
    return registry;
}

Plan plan_of(const std::string& text) {
    std::vector<std::string> problems;
    Plan plan = parse_plan(text, "test plan", problems);
    REQUIRE(problems.empty());
    return plan;
}

const char* three_steps = R"({"dagda_plan": 1, "name": "t", "steps": [
    {"step": "test.write", "word": "table"}, {"step": "test.count"}, {"step": "test.edit"}]})";

}  // namespace

TEST_CASE("JobRunner: steps run in order, events and journal follow, a finished job is not run again", "[jobs][runner]") {
    TempDir dir;
    World world;
    const StepRegistry registry = registry_for(world);
    std::vector<std::string> events;
    JobRunner runner(registry, [&](const JobEvent& e) { events.push_back(to_string(e.kind)); }, nullptr);
    const Plan plan = plan_of(three_steps);
    CHECK(runner.validate(plan).empty());
    CHECK(runner.describe(plan) == std::vector<std::string>{"1. test.write", "   Write table", "2. test.count", "   Count to 10", "3. test.edit", "   Edit"});
    {
        Journal journal(dir.file("j"));
        const JobResult result = runner.run(plan, journal);
        CHECK(result.succeeded);
        CHECK(result.timings.size() == 3);
    }
    CHECK(world.log.size() == 12);  // table, count 0..9, edit
    CHECK(events.front() == "job_started");
    CHECK(events.back() == "job_finished");
    CHECK(std::count(events.begin(), events.end(), "step_said") == 1);
    Journal again(dir.file("j"));
    CHECK(runner.run(plan, again).succeeded);
    CHECK(world.log.size() == 12);  // nothing ran twice
}

TEST_CASE("JobRunner: a failed step is a structured error - the rerun resumes at its checkpoint", "[jobs][runner]") {
    TempDir dir;
    World world;
    world.fail_count_at = 6;
    const StepRegistry registry = registry_for(world);
    JobRunner runner(registry, nullptr, nullptr);
    const Plan plan = plan_of(three_steps);
    {
        Journal journal(dir.file("j"));
        const JobResult result = runner.run(plan, journal);
        REQUIRE_FALSE(result.succeeded);
        REQUIRE(result.failure);
        CHECK(result.failure->kind == "failed");
        CHECK(result.failure->step == 1);
        CHECK(result.failure->name == "test.count");
        CHECK_THAT(result.failure->message, Catch::Contains("item 6"));
        CHECK(result.failure->to_json()["step"] == 2);
    }
    Journal journal(dir.file("j"));
    CHECK(runner.run(plan, journal).succeeded);
    const std::vector<std::string> expected{"table", "count 0", "count 1", "count 2", "count 3", "count 4", "count 5",
                                            "count 6", "count 7", "count 8", "count 9", "edit"};
    CHECK(world.log == expected);  // the write was not repeated; counting went on from 6
}

TEST_CASE("JobRunner: an interrupted in-place edit is redone from the step that wrote what it edits", "[jobs][runner]") {
    TempDir dir;
    World world;
    world.fail_edit = true;
    const StepRegistry registry = registry_for(world);
    JobRunner runner(registry, nullptr, nullptr);
    const Plan plan = plan_of(three_steps);
    {
        Journal journal(dir.file("j"));
        const JobResult result = runner.run(plan, journal);
        REQUIRE(result.failure);
        CHECK(result.failure->kind == "failed");
        CHECK(result.failure->message == "killed half way");
    }
    world.log.clear();
    Journal journal(dir.file("j"));
    CHECK(runner.run(plan, journal).succeeded);
    CHECK(world.log.size() == 11);  // count 0..9 again from scratch, then the edit; the table stays done
    CHECK(world.log.front() == "count 0");
    CHECK(world.log.back() == "edit");
}

TEST_CASE("JobRunner: the rollback goes back to the first restore of the disk, and a cancel between steps undoes nothing",
          "[jobs][runner]") {
    TempDir dir;
    World world;
    world.fail_edit = true;
    const StepRegistry registry = registry_for(world);
    const Plan plan = plan_of(R"({"dagda_plan": 1, "steps": [{"step": "test.count"}, {"step": "test.count"}, {"step": "test.edit"}]})");
    {
        JobRunner runner(registry, nullptr, nullptr);
        Journal journal(dir.file("j"));
        CHECK(runner.run(plan, journal).failure);
    }
    world.log.clear();
    {
        JobRunner runner(registry, nullptr, nullptr);
        Journal journal(dir.file("j"));
        CHECK(runner.run(plan, journal).succeeded);
    }
    CHECK(world.log.size() == 21);  // both restores (count 0..9 twice) again, then the edit

    // Cancelled after step 1 finished: step 2 never starts, and the rerun goes on from step 2.
    World second;
    const StepRegistry other = registry_for(second);
    std::atomic<bool> cancel{false};
    JobRunner cancelling(other, [&](const JobEvent& e) {
        if (e.kind == JobEvent::Kind::step_finished && e.step == 1) cancel = true;
    }, &cancel);
    {
        Journal journal(dir.file("k"));
        const JobResult result = cancelling.run(plan, journal);
        REQUIRE(result.failure);
        CHECK(result.failure->kind == "cancelled");
        CHECK(result.failure->step == 2);
    }
    for (const auto& record : read_journal(dir.file("k")).records) CHECK_FALSE((record.value("type", "") == "step_started" && record.value("step", 0) == 2));
    second.log.clear();
    JobRunner runner(other, nullptr, nullptr);
    Journal journal(dir.file("k"));
    CHECK(runner.run(plan, journal).succeeded);
    CHECK(second.log == std::vector<std::string>{"edit"});  // no restore redone
}

TEST_CASE("JobRunner: cancel, a journal of another plan, and every problem of a bad plan", "[jobs][runner]") {
    TempDir dir;
    World world;
    const StepRegistry registry = registry_for(world);
    std::atomic<bool> cancel{true};
    JobRunner cancelled(registry, nullptr, &cancel);
    const Plan plan = plan_of(three_steps);
    {
        Journal journal(dir.file("j"));
        const JobResult result = cancelled.run(plan, journal);
        REQUIRE(result.failure);
        CHECK(result.failure->kind == "cancelled");
        CHECK(world.log.empty());
    }
    JobRunner runner(registry, nullptr, nullptr);
    Journal journal(dir.file("j"));
    const Plan other = plan_of(R"({"dagda_plan": 1, "steps": [{"step": "test.write", "word": "other"}]})");
    CHECK_THROWS_WITH(runner.run(other, journal), Catch::Contains("records another plan"));

    std::vector<std::string> problems;
    const Plan bad = parse_plan(R"({"dagda_plan": 2, "colour": "red", "steps": [{"step": "test.write"}, {"step": "disk.format_all"}, {"nostep": 1}]})",
                                "bad.json", problems);
    CHECK(problems.size() == 3);  // version, unknown key, a step without "step"
    const auto more = runner.validate(bad);
    REQUIRE(more.size() == 3);
    CHECK_THAT(more[0], Catch::Contains("step 1 (test.write): \"word\" is missing"));
    CHECK_THAT(more[1], Catch::Contains("unknown step"));
}

TEST_CASE("JobEvent: the events of a run read back from their JSON as they were", "[jobs][runner]") {
    TempDir dir;
    World world;
    const StepRegistry registry = registry_for(world);
    std::vector<JobEvent> events;
    JobRunner runner(registry, [&](const JobEvent& e) { events.push_back(e); }, nullptr);
    Journal journal(dir.file("j"));
    REQUIRE(runner.run(plan_of(three_steps), journal).succeeded);
    REQUIRE(events.size() > 6);
    for (const JobEvent& event : events) {
        INFO(event.to_json().dump());
        const auto read = JobEvent::from_json(event.to_json());
        REQUIRE(read);
        CHECK(read->to_json() == event.to_json());
    }
    // What `dagda ctl watch` may also meet: the run's summary, and events whose keys are missing
    // or of another type (they came over the network).
    CHECK_FALSE(JobEvent::from_json(json{{"event", "summary"}, {"succeeded", true}}));
    CHECK_FALSE(JobEvent::from_json(json::array({"step_said"})));
    CHECK_FALSE(JobEvent::from_json(json{{"text", "no kind"}}));
    const auto sparse = JobEvent::from_json(json{{"event", "step_progress"}, {"step", "two"}, {"done", -1}, {"rate", 2.5e8}});
    REQUIRE(sparse);
    CHECK(sparse->kind == JobEvent::Kind::step_progress);
    CHECK(sparse->step == 0);
    CHECK(sparse->done == 0);
    CHECK(sparse->rate == 2.5e8);
}
