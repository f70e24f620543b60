// A recovery step's progress relayed from a program's or a helper agent's job events: at most one
// a second, each phase's end always, anything malformed passed over.

#include "controller/RecoveryProgress.hpp"

#include <catch2/catch.hpp>

#include <thread>

using dagda::controller::RecoveryProgress;
using nlohmann::json;

namespace {

json progress(const std::string& name, std::uint64_t done, std::uint64_t total, double rate = 0) {
    return {{"event", "step_progress"}, {"step", 2}, {"name", name}, {"done", done}, {"total", total}, {"rate", rate}};
}

}  // namespace

TEST_CASE("RecoveryProgress: one event a second at most, the end of each phase always, nothing malformed", "[controller][recovery]") {
    std::vector<json> relayed;
    RecoveryProgress relay("direct.restore", "disk 1", [&](json event) { relayed.push_back(std::move(event)); });
    relay.on_job_event(progress("image.restore", 1 << 20, 100 << 20, 5e7));  // the first: at once
    for (std::uint64_t mib = 2; mib < 100; ++mib) relay.on_job_event(progress("image.restore", mib << 20, 100 << 20, 5e7));
    relay.on_job_event(progress("image.restore", 100 << 20, 100 << 20, 5e7));  // the phase's end
    REQUIRE(relayed.size() == 2);
    CHECK(relayed[0] == json{{"event", "step_progress"}, {"step", "direct.restore"}, {"name", "image.restore"}, {"message", "disk 1: image.restore"},
                             {"done", 1 << 20}, {"total", 100 << 20}, {"rate", 5e7}});
    CHECK(relayed[1]["done"] == 100 << 20);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    relay.on_job_event(progress("windows.inoculate", 1, 3));  // a second later: relayed
    CHECK(relayed.size() == 3);
    CHECK(relayed[2]["message"] == "disk 1: windows.inoculate");

    // Passed over: what is not progress, and progress that makes no sense.
    relay.on_line("Summary:");
    relay.on_line("{\"event\": \"step_progress\", \"done\": \"many\", \"total\": 3}");
    relay.on_line("{\"event\": \"step_progress\", \"done\": 5, \"total\": 3}");
    relay.on_line("{\"event\": \"step_progress\", \"done\": 0, \"total\": 0}");
    relay.on_line("{\"event\": \"step_progress\", \"done\": -1, \"total\": 3}");
    relay.on_line("[1, 2]");
    relay.on_line("{\"event\": \"summary\", \"succeeded\": false}");
    CHECK(relayed.size() == 3);
    CHECK(relay.failure().empty());
    relay.on_line(json{{"event", "step_failed"}, {"step", 3}, {"name", "windows.inoculate"}, {"text", "no SYSTEM hive"}}.dump());
    CHECK(relay.failure() == "no SYSTEM hive");

    // The database refusing an event costs that event, never the program's run.
    RecoveryProgress failing("helper.restore", "helper", [](json) { throw std::runtime_error("database is locked"); });
    CHECK_NOTHROW(failing.on_line(progress("image.restore", 1, 2).dump()));
}
