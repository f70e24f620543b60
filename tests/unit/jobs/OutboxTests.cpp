// The agent's outbox: events numbered once, resent until acknowledged, kept across a restart.

#include "jobs/Outbox.hpp"

#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using dagda::jobs::Outbox;
using dagda::testing::TempDir;

TEST_CASE("Outbox: events wait for their acknowledgement, across a restart and a torn tail", "[jobs][outbox]") {
    TempDir dir;
    const std::string path = dir.file("outbox");
    {
        Outbox outbox(path);
        CHECK(outbox.add({{"event", "job_started"}}) == 1);
        CHECK(outbox.add({{"event", "step_started"}}) == 2);
        CHECK(outbox.add({{"event", "step_progress"}}) == 3);
        outbox.acknowledge(1);
        outbox.acknowledge(1);  // a repeated ack changes nothing
        REQUIRE(outbox.pending().size() == 2);
        CHECK(outbox.pending().front().first == 2);
        outbox.acknowledge(99);  // never past what was sent
        CHECK(outbox.acknowledged() == 3);
        CHECK(outbox.add({{"event", "step_finished"}}) == 4);
    }
    // The agent restarts (killed, rebooted): event 4 is still due, and numbering goes on.
    {
        std::ofstream(path, std::ios::binary | std::ios::app) << std::string("\x30\x00\x00\x00torn", 8);
    }
    Outbox outbox(path);
    REQUIRE(outbox.pending().size() == 1);
    CHECK(outbox.pending().front().first == 4);
    CHECK(outbox.pending().front().second["event"] == "step_finished");
    CHECK(outbox.add({{"event", "job_finished"}}) == 5);
    outbox.acknowledge(5);
    CHECK(outbox.pending().empty());
}
