// A recovery killed with SIGKILL at random points and started again, over and over, ends with a
// disk byte-identical to an uninterrupted run's. Both run under faketime with the wall clock
// frozen: NTFS, hivex and mtools stamp the current time into what they write, which differs
// between any two runs; the monotonic clock keeps running (DONT_FAKE_MONOTONIC) for the restore's
// timers.

#include "common/ChildProcess.hpp"
#include "common/Run.hpp"
#include "common/TempDir.hpp"
#include "common/WindowsVolume.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

using namespace dagda::testing;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

/// A plan for a fresh target image `name`: the whole recovery plus a renamed clone.
std::string plan_for(const TempDir& dir, const std::string& archive, const std::string& drivers, const std::string& name) {
    const std::string target = make_image(dir, name, 300ull << 20);
    const std::string plan = dir.file(name + ".plan.json");
    const RunResult made = run(dagda_command() + " plan from-archive " + sh_quote(archive) + " --to " + sh_quote(target) +
                               " --for virtio-blk --drivers " + sh_quote(drivers) + " -o " + sh_quote(plan));
    REQUIRE(made.exit_code == 0);
    json document = json::parse(file_bytes(plan));
    document["steps"].push_back({{"step", "windows.set_identity"}, {"disk", "target"}, {"computer_name", "CLONE-01"}, {"dhcp_all_nics", true}});
    std::ofstream(plan) << document.dump(2);
    return plan;
}

std::vector<std::string> run_command(const std::string& plan, const std::string& journal) {
    return {dagda_binary_path(), "run", plan, "--journal", journal, "--yes", "--progress", "json"};
}

}  // namespace

TEST_CASE("run: killed with SIGKILL at 24 points across the plan, the disk ends byte-identical", "[jobs][plan][kill][integration]") {
    TempDir dir;
    const std::string faketime = libfaketime();
    if (!windows_tools_present(dir) || faketime.empty() || !have_program("sfdisk")) FAIL("missing: faketime, hivexregedit, mkntfs, sfdisk or ../shared/fixtures");
    const std::string source = make_windows_disk(dir, "source.img");
    const std::string archive = dir.file("server.tib");
    REQUIRE(run(dagda_command() + " tib capture --disk " + sh_quote(source) + " " + sh_quote(archive) + " --progress none").exit_code == 0);
    const std::string drivers = viostor_driver_folder(dir);
    const std::vector<std::string> environment{"LD_PRELOAD=" + faketime, "FAKETIME=2026-01-01 00:00:00", "DONT_FAKE_MONOTONIC=1",
                                               "DAGDA_RUN_DIR=" + dir.file("run")};

    // The uninterrupted run.
    const std::string reference_plan = plan_for(dir, archive, drivers, "reference.img");
    {
        ChildProcess child(run_command(reference_plan, dir.file("reference.journal")), environment, dir.file("reference.err"));
        while (child.read_line(std::chrono::seconds(60))) {
        }
        REQUIRE(child.wait() == 0);
    }
    const std::string expected = file_digest(dir.file("reference.img"));

    // Rounds of: a fresh target; for each step in turn, start the job, wait until that step has
    // started, let a random number of events and milliseconds pass, SIGKILL; then let the job
    // finish and compare the disk with the uninterrupted run's.
    std::mt19937 random(20261127);
    int kills = 0, rounds = 0;
    std::vector<std::string> kill_points;
    std::string attempts;  // what each start of the job did, for the failure message
    const std::vector<std::string> steps{"disk.apply_layout", "image.restore", "windows.inoculate", "windows.fixup_boot", "windows.set_identity"};
    while (kills < 24) {
        const std::string name = "killed-" + std::to_string(rounds++) + ".img";
        const std::string plan = plan_for(dir, archive, drivers, name);
        const std::string journal = dir.file(name + ".journal");
        for (std::size_t target = 0; target <= steps.size(); ++target) {
            ChildProcess child(run_command(plan, journal), environment, dir.file(name + ".err"));
            const bool last = target == steps.size();  // no kill: run to the end
            const std::string started = last ? "" : "\"step_started\",\"name\":\"" + steps[target] + "\"";
            int after = std::uniform_int_distribution<int>(0, 2)(random);
            bool armed = false, finished = false;
            std::string point;
            attempts += "round " + std::to_string(rounds) + " target " + (last ? "end" : steps[target]) + ":";
            while (const auto line = child.read_line(std::chrono::seconds(60))) {
                attempts += " " + line->substr(0, 60);
                finished = finished || line->find("\"job_finished\"") != std::string::npos;
                if (!last && !armed && line->find(started) != std::string::npos) armed = true;
                if (armed) point = *line;
                if (armed && after-- == 0) break;
            }
            if (armed && !finished) {
                // The steps are fast on small volumes: a few hundred microseconds more, then the
                // process is frozen where it is and killed there.
                std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 800)(random)));
                child.signal(SIGSTOP);
                child.signal(SIGKILL);
                if (child.wait() == 128 + SIGKILL) {
                    attempts += " KILLED\n";
                    ++kills;
                    kill_points.push_back(point);
                    continue;
                }
            }
            while (child.read_line(std::chrono::seconds(60))) {
            }
            INFO(file_bytes(dir.file(name + ".err")));
            REQUIRE(child.wait() == 0);
            if (finished || last) break;
        }
        INFO("round " << rounds << ", kills so far " << kills);
        CHECK(file_digest(dir.file(name)) == expected);
    }
    // The kills landed in every step, not only at the start.
    std::string seen;
    for (const std::string& point : kill_points) seen += point + "\n";
    INFO(seen);
    INFO(attempts);
    for (const std::string& step : steps) CHECK(seen.find("\"name\":\"" + step + "\"") != std::string::npos);
}
