// The agent's outbox: each job's events numbered once, resent until acknowledged, kept across a
// restart; an acknowledgement beyond what was sent is not believed.

#include "core/Error.hpp"
#include "jobs/Outbox.hpp"

#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using dagda::jobs::Outbox;
using dagda::testing::TempDir;

TEST_CASE("Outbox: events wait for their acknowledgement, per job, across a restart and a torn tail", "[jobs][outbox]") {
    TempDir dir;
    const std::string path = dir.file("outbox");
    {
        Outbox outbox(path);
        CHECK(outbox.add("job-1", {{"event", "job_started"}}) == 1);
        CHECK(outbox.add("job-1", {{"event", "step_started"}}) == 2);
        CHECK(outbox.add("job-2", {{"event", "job_started"}}) == 1);  // another job counts on its own
        CHECK(outbox.add("job-1", {{"event", "step_progress"}}) == 3);
        CHECK(outbox.acknowledge("job-1", 1));
        CHECK(outbox.acknowledge("job-1", 1));  // a repeated ack changes nothing
        // An ack beyond what was sent: the sides disagree; nothing is dropped.
        CHECK_FALSE(outbox.acknowledge("job-2", 41));
        CHECK(outbox.acknowledged("job-2") == 0);
        REQUIRE(outbox.pending().size() == 3);
        CHECK(outbox.pending().front().job == "job-1");
        CHECK(outbox.pending().front().seq == 2);
        // Too large to ever send: refused, and no number is used up by it.
        CHECK_THROWS_AS(outbox.add("job-1", {{"blob", std::string(Outbox::largest_event, 'x')}}), dagda::Error);
        CHECK(outbox.add("job-1", {{"event", "step_finished"}}) == 4);
    }
    {
        std::ofstream(path, std::ios::binary | std::ios::app) << std::string("\x30\x00\x00\x00torn", 8);
    }
    // The agent restarts: what was not acknowledged is due again, and numbering goes on.
    Outbox outbox(path);
    REQUIRE(outbox.pending().size() == 4);
    CHECK(outbox.pending().back().seq == 4);
    CHECK(outbox.acknowledged("job-1") == 1);
    CHECK(outbox.add("job-1", {{"event", "job_finished"}}) == 5);
    CHECK(outbox.acknowledge("job-1", 5));
    CHECK(outbox.acknowledge("job-2", 1));
    CHECK(outbox.pending().empty());
}
