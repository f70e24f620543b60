// The job runner with small steps defined here: order, the one catch boundary, resume from a
// checkpoint, the rollback of an interrupted in-place edit, cancel, a journal of another plan, and
// a journal checked against what its steps left on the disk before it is trusted.

#include "core/Error.hpp"
#include "jobs/JobRunner.hpp"

#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <thread>

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

namespace {

/// A disk as the fingerprinted test steps see it: what is on it.
struct Disk {
    std::string table, volume;
    bool unreadable = false;
    std::vector<std::string> log;
};

json left_on(const std::string& what) { return {{"what", what.empty() ? "nothing" : what}}; }

/// test.lay writes a table, test.fill a volume, test.wipe undoes the table (a bug a step might
/// have); each of the first two says what it left.
StepRegistry disk_registry(Disk& disk) {
    StepRegistry registry;
    const auto none = [](const json&) { return std::vector<std::string>{}; };
    const auto says = [](const json&) { return std::vector<std::string>{"Do it"}; };
    const auto key = [](const json&) { return std::string("disk:x"); };
    registry.add({"test.lay", "writes a table", Resume::rerun, none, says,
                  [&disk](const json& args, StepContext&) {
                      disk.table = "table " + args.value("id", std::string("1"));
                      disk.log.push_back("lay");
                  },
                  key, std::vector<ArgumentSpec>{},
                  [&disk](const json&) {
                      if (disk.unreadable) throw Error(ErrorKind::failed, "cannot read x: input/output error");
                      return left_on(disk.table);
                  }});
    registry.add({"test.fill", "restores a volume", Resume::checkpoint, none, says,
                  [&disk](const json&, StepContext&) {
                      disk.volume = "volume";
                      disk.log.push_back("fill");
                  },
                  key, std::vector<ArgumentSpec>{}, [&disk](const json&) { return left_on(disk.volume); }});
    registry.add({"test.wipe", "undoes the table", Resume::rerun, none, says,
                  [&disk](const json&, StepContext&) {
                      disk.table.clear();
                      disk.log.push_back("wipe");
                  },
                  key, std::vector<ArgumentSpec>{}});
    return registry;
}

const char* lay_and_fill = R"({"dagda_plan": 1, "steps": [{"step": "test.lay"}, {"step": "test.fill"}]})";

}  // namespace

TEST_CASE("JobRunner: a finished job's journal on a disk that does not hold it starts the job over, saying why", "[jobs][runner][journal]") {
    TempDir dir;
    Disk disk;
    const StepRegistry registry = disk_registry(disk);
    std::vector<JobEvent> events;
    JobRunner runner(registry, [&](const JobEvent& e) { events.push_back(e); }, nullptr);
    const Plan plan = plan_of(lay_and_fill);
    {
        Journal journal(dir.file("j"));
        REQUIRE(runner.run(plan, journal).succeeded);
    }
    // What each step left is in its step_finished record.
    const auto records = read_journal(dir.file("j")).records;
    CHECK(records[2]["left"] == left_on("table 1"));
    CHECK(records[4]["left"] == left_on("volume"));

    // The same disk: complete, nothing runs.
    disk.log.clear();
    events.clear();
    {
        Journal journal(dir.file("j"));
        REQUIRE(runner.run(plan, journal).succeeded);
    }
    CHECK(disk.log.empty());
    REQUIRE_FALSE(events.empty());
    CHECK(events.back().text == "the journal says this job is complete");

    // A blank disk of the same identity: the journal's word is not taken.
    disk = Disk{};
    events.clear();
    {
        Journal journal(dir.file("j"));
        const JobResult result = runner.run(plan, journal);
        REQUIRE(result.succeeded);
        CHECK(std::none_of(result.timings.begin(), result.timings.end(), [](const StepTiming& t) { return t.skipped; }));
    }
    CHECK(disk.log == std::vector<std::string>{"lay", "fill"});
    REQUIRE_FALSE(events.empty());
    CHECK(events.front().kind == JobEvent::Kind::job_started);
    CHECK(events.front().text == "the journal " + dir.file("j") + " says step 1 (test.lay) left table 1, but the disk now holds nothing; "
                                 "starting the job over");
    CHECK(events.back().kind == JobEvent::Kind::job_finished);
    CHECK(events.back().text.empty());  // finished now, not "complete" from the journal

    // The volume alone wiped: the same, from step 2's check.
    disk.volume.clear();
    disk.log.clear();
    events.clear();
    {
        Journal journal(dir.file("j"));
        REQUIRE(runner.run(plan, journal).succeeded);
    }
    CHECK(disk.log == std::vector<std::string>{"lay", "fill"});
    CHECK_THAT(events.front().text, Catch::Contains("step 2 (test.fill) left volume, but the disk now holds nothing"));
}

TEST_CASE("JobRunner: a resume checks the steps it skips - another disk, an unreadable one, an old journal", "[jobs][runner][journal]") {
    TempDir dir;
    Disk disk;
    const StepRegistry registry = disk_registry(disk);
    std::vector<JobEvent> events;
    JobRunner runner(registry, [&](const JobEvent& e) { events.push_back(e); }, nullptr);
    const Plan plan = plan_of(lay_and_fill);
    // Killed after step 1 finished (the journal ends there), then resumed.
    {
        Journal journal(dir.file("j"));
        journal.append({{"type", "job"}, {"plan", plan.document}});
        journal.append({{"type", "step_started"}, {"step", 0}});
        journal.append({{"type", "step_finished"}, {"step", 0}, {"seconds", 0.1}, {"left", left_on("table 1")}});
        journal.append({{"type", "step_started"}, {"step", 1}});
    }
    disk.table = "table 1";
    {
        Journal journal(dir.file("j"));
        REQUIRE(runner.run(plan, journal).succeeded);
    }
    CHECK(disk.log == std::vector<std::string>{"fill"});  // the table was there: skipped
    CHECK(events.front().kind == JobEvent::Kind::job_resumed);

    // The same cut journal, but the disk holds another table: all again.
    const auto all = read_journal(dir.file("j")).records;
    const auto cut_after = [&](const std::string& path, std::size_t records, bool without_left = false) {
        std::filesystem::remove(path);
        Journal fresh(path);
        for (std::size_t i = 0; i < records; ++i) {
            json record = all[i];
            if (without_left) record.erase("left");
            fresh.append(record);
        }
    };
    cut_after(dir.file("k"), 4);
    disk = Disk{};
    disk.table = "table 2";
    events.clear();
    {
        Journal journal(dir.file("k"));
        REQUIRE(runner.run(plan, journal).succeeded);
    }
    CHECK(disk.log == std::vector<std::string>{"lay", "fill"});
    CHECK_THAT(events.front().text, Catch::Contains("left table 1, but the disk now holds table 2"));

    // A disk that cannot be read: not taken as holding it; the step runs again.
    disk = Disk{};
    disk.table = "table 1";
    disk.unreadable = true;
    cut_after(dir.file("k"), 4);
    events.clear();
    {
        Journal journal(dir.file("k"));
        disk.unreadable = true;
        const JobResult result = runner.run(plan, journal);
        // Reading it back after step 1 fails the step: the disk is unreadable.
        REQUIRE(result.failure);
        CHECK(result.failure->name == "test.lay");
        CHECK_THAT(result.failure->message, Catch::Contains("input/output error"));
    }
    CHECK_THAT(events.front().text, Catch::Contains("step 1 (test.lay) left table 1, which cannot be read back now (cannot read x: input/output error)"));

    // A journal of version 1 records no fingerprints: its finished steps cannot be checked.
    disk = Disk{};
    cut_after(dir.file("k"), 4, true);  // step 1's record as version 1 wrote it, and its header
    {
        std::fstream file(dir.file("k"), std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(8);
        file.put(1);
    }
    disk.table = "table 1";
    events.clear();
    {
        Journal journal(dir.file("k"));
        REQUIRE(runner.run(plan, journal).succeeded);
    }
    CHECK(disk.log == std::vector<std::string>{"lay", "fill"});
    CHECK_THAT(events.front().text, Catch::Contains("step 1 (test.lay) finished, but does not record what it left (an older dagda wrote it)"));
    CHECK(read_journal(dir.file("k")).version == 2);
}

TEST_CASE("JobRunner: a job whose last steps undid an earlier step's work does not finish", "[jobs][runner][journal]") {
    TempDir dir;
    Disk disk;
    const StepRegistry registry = disk_registry(disk);
    JobRunner runner(registry, nullptr, nullptr);
    const Plan plan = plan_of(R"({"dagda_plan": 1, "steps": [{"step": "test.lay"}, {"step": "test.fill"}, {"step": "test.wipe"}]})");
    Journal journal(dir.file("j"));
    const JobResult result = runner.run(plan, journal);
    REQUIRE(result.failure);
    CHECK_FALSE(result.succeeded);
    CHECK(result.failure->name == "test.lay");
    CHECK(result.failure->message == "after the last step, step 1 (test.lay) left table 1, but the disk now holds nothing");
    for (const auto& record : read_journal(dir.file("j")).records) CHECK(record.value("type", "") != "job_finished");
}

TEST_CASE("JobRunner: a resumed step's rate counts only what this run did, not what it did before the restart", "[jobs][runner]") {
    TempDir dir;
    constexpr std::uint64_t half = 1'000'000'000, whole = 2 * half;
    StepRegistry registry;
    bool fail_once = true;
    registry.add({"test.big", "copies 2 GB with one checkpoint half way", Resume::checkpoint, [](const json&) { return std::vector<std::string>{}; },
                  [](const json&) { return std::vector<std::string>{"Copy 2 GB"}; },
                  [&](const json&, StepContext& context) {
                      if (context.saved_state().is_null()) {
                          context.progress(half, whole, "copying");
                          context.save_state({{"done", half}});
                          if (fail_once) {
                              fail_once = false;
                              throw Error(ErrorKind::failed, "the machine rebooted");
                          }
                      }
                      std::this_thread::sleep_for(std::chrono::milliseconds(50));
                      context.progress(half + 1000, whole, "copying");  // 1000 bytes in this run, so far
                  },
                  [](const json&) { return std::string("disk:x"); }, std::vector<ArgumentSpec>{}});
    const Plan plan = plan_of(R"({"dagda_plan": 1, "name": "t", "steps": [{"step": "test.big"}]})");
    std::vector<JobEvent> events;
    JobRunner runner(registry, [&](const JobEvent& e) { events.push_back(e); }, nullptr);
    {
        Journal journal(dir.file("j"));
        REQUIRE_FALSE(runner.run(plan, journal).succeeded);
    }
    events.clear();
    Journal journal(dir.file("j"));
    REQUIRE(runner.run(plan, journal).succeeded);
    const auto resumed = std::find_if(events.begin(), events.end(), [](const JobEvent& e) { return e.kind == JobEvent::Kind::step_progress; });
    REQUIRE(resumed != events.end());
    CHECK(resumed->done == half + 1000);
    // 1000 bytes in about 50 ms: some kB/s, not the 20 GB/s that counting the first half would make.
    CHECK(resumed->rate < 1e6);
}
