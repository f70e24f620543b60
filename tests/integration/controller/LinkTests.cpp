// Issue 6: whole recoveries ordered through a real controller and run by a real agent on
// loopback, with the link cut, the agent killed and the controller restarted in the middle.

#include "common/RangeServer.hpp"
#include "common/Run.hpp"
#include "common/TcpProxy.hpp"
#include "integration/controller/ControllerFixture.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <filesystem>
#include <thread>

using namespace dagda::testing;
namespace fs = std::filesystem;

namespace {

struct Recovery {
    TempDir dir;
    std::string archives = dir.file("archives");
    std::string source, target;
    Recovery() {
        fs::create_directories(archives);
        source = make_source_disk(dir, archives + "/src.tib");
        target = make_image(dir, "target.img", 48ull << 20);
    }
    /// The digest of the same restore run locally with `dagda run`, start to end: what every
    /// interrupted run through the controller must end with.
    std::string uninterrupted_digest() const {
        const std::string reference = make_image(dir, "reference.img", 48ull << 20);
        write_file(dir.path() / "reference-plan.json", restore_plan(archives + "/src.tib", reference).dump());
        const RunResult result = run("DAGDA_RUN_DIR=" + sh_quote(dir.file("reference-run")) + " " + dagda_command() + " run " +
                                     sh_quote(dir.file("reference-plan.json")) + " --yes --progress none");
        REQUIRE(result.exit_code == 0);
        // The data restored is the source's own (the table is fitted to the disk, so compare the partition).
        CHECK(file_range(reference, 1 << 20, 40 << 20) == file_range(source, 1 << 20, 40 << 20));
        return file_digest(reference);
    }
};

std::string submit(const ControllerProcess& controller, const nlohmann::json& order) {
    const nlohmann::json answer = controller.api("POST", "/api/jobs", order);
    INFO(answer.dump());
    REQUIRE(answer["status"] == 201);
    return answer["body"]["id"];
}

bool restore_started(const ControllerProcess& controller, const std::string& job) {
    for (const auto& event : controller.events(job))
        if (event["event"].value("event", "") == "step_started" && event["event"].value("name", "") == "image.restore") return true;
    return false;
}

/// The job's events are whole: numbered 1..N once each, ending with one succeeded job_result.
void check_events_whole(const ControllerProcess& controller, const std::string& job) {
    const nlohmann::json events = controller.events(job);
    INFO(events.dump().substr(0, 4000));
    CHECK(contiguous(events));
    int results = 0;
    for (const auto& event : events) results += event["event"].value("event", "") == "job_result";
    CHECK(results == 1);
    REQUIRE(!events.empty());
    CHECK(events.back()["event"]["outcome"] == "succeeded");
}

}  // namespace

TEST_CASE("controller: a recovery ordered through the API runs on the agent from the controller's own archive files", "[controller][integration]") {
    if (!controller_tools_present()) FAIL("missing: curl or sfdisk");
    Recovery r;
    ControllerProcess controller(r.dir, r.dir.file("controller"), 0, r.archives);
    // The agent trusts the controller, and the archive files it serves, by its pin or by its CA;
    // never by the system's store.
    const bool by_pin = GENERATE(true, false);
    INFO((by_pin ? "trusted by pin" : "trusted by CA"));
    AgentProcess agent(r.dir, {"srv01", controller.enrol("srv01"), r.target, "machine-a", controller.port(), by_pin ? controller.pin() : "",
                               controller.ca_file()});
    const std::string agent_id = only_agent_id(controller);
    const std::string job = submit(controller, {{"agent", agent_id}, {"recover", {{"archive", "src.tib"}}}});
    const bool finished = eventually([&] { return controller.job_state(job) == "succeeded"; }, 90);
    INFO(agent.log() + controller.log());
    REQUIRE(finished);
    check_events_whole(controller, job);
    CHECK(file_digest(r.target) == r.uninterrupted_digest());
    // The plan names the archive by the controller's files URL, read with range requests.
    const std::string plan = controller.api("GET", "/api/jobs/" + job)["body"]["plan"].dump();
    CHECK_THAT(plan, Catch::Contains(controller.url() + "/files/"));
}

TEST_CASE("controller: the link cut twice mid-restore, the job finishes and no event is lost or duplicated", "[controller][integration]") {
    if (!controller_tools_present()) FAIL("missing: curl or sfdisk");
    Recovery r;
    RangeServer slow(r.archives);
    slow.delay(std::chrono::milliseconds(300));  // long enough a restore to cut in the middle
    ControllerProcess controller(r.dir, r.dir.file("controller"));
    TcpProxy link(controller.port());
    AgentOptions options{"srv01", controller.enrol("srv01"), r.target, "machine-a", link.port(), controller.pin(), ""};
    options.as_kernel_command_line = true;  // dagda.controller= … on a kernel command line
    AgentProcess agent(r.dir, options);
    const std::string job = submit(controller, {{"agent", only_agent_id(controller)}, {"plan", restore_plan(slow.url("src.tib"), r.target)}});
    REQUIRE(eventually([&] { return restore_started(controller, job); }, 60));
    link.cut();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    link.cut(true);  // and held down for a while: the job goes on without its controller
    std::this_thread::sleep_for(std::chrono::seconds(2));
    link.refuse(false);
    const bool finished = eventually([&] { return controller.job_state(job) == "succeeded"; }, 120);
    INFO(agent.log() + controller.log());
    REQUIRE(finished);
    CHECK(link.connections() >= 3);
    // What the agent saw while the link was down reaches the controller's log once it is back.
    CHECK(eventually([&] { return controller.log().find("agent agent-srv01 [warn] link down (") != std::string::npos; }, 10));
    check_events_whole(controller, job);
    CHECK(file_digest(r.target) == r.uninterrupted_digest());
}

TEST_CASE("controller: an agent killed or stopped mid-restore and started again resumes, and the disk equals an uninterrupted restore", "[controller][integration]") {
    if (!controller_tools_present()) FAIL("missing: curl or sfdisk");
    Recovery r;
    RangeServer slow(r.archives);
    slow.delay(std::chrono::milliseconds(300));
    ControllerProcess controller(r.dir, r.dir.file("controller"));
    const AgentOptions options{"srv01", controller.enrol("srv01"), r.target, "machine-a", controller.port(), controller.pin(), ""};
    auto agent = std::make_unique<AgentProcess>(r.dir, options);
    const std::string job = submit(controller, {{"agent", only_agent_id(controller)}, {"plan", restore_plan(slow.url("src.tib"), r.target)}});
    REQUIRE(eventually([&] { return restore_started(controller, job); }, 60));
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    // SIGKILL: nothing runs after it. SIGTERM (a service stop): the agent stops the job at its
    // next safe point and must not report it cancelled, so it resumes like after a kill.
    const int signal = GENERATE(SIGKILL, SIGTERM);
    INFO("signal " << signal);
    agent->kill(signal);
    agent->wait();
    const int requests_before = slow.requests();
    agent = std::make_unique<AgentProcess>(r.dir, options);  // same state folder: outbox and journal
    const bool finished = eventually([&] { return controller.job_state(job) == "succeeded"; }, 120);
    INFO(agent->log() + controller.log());
    REQUIRE(finished);
    check_events_whole(controller, job);
    CHECK(file_digest(r.target) == r.uninterrupted_digest());
    bool resumed = false;
    for (const auto& event : controller.events(job)) resumed = resumed || event["event"].value("event", "") == "job_resumed";
    CHECK(resumed);
    CHECK(slow.requests() > requests_before);
    for (const auto& event : controller.events(job)) CHECK(event["event"].value("outcome", "") != "cancelled");
}

TEST_CASE("controller: a controller restarted mid-job picks the job up from its database", "[controller][integration]") {
    if (!controller_tools_present()) FAIL("missing: curl or sfdisk");
    Recovery r;
    RangeServer slow(r.archives);
    slow.delay(std::chrono::milliseconds(300));
    auto controller = std::make_unique<ControllerProcess>(r.dir, r.dir.file("controller"));
    const unsigned short port = controller->port();
    AgentProcess agent(r.dir, {"srv01", controller->enrol("srv01"), r.target, "machine-a", port, controller->pin(), ""});
    const std::string job = submit(*controller, {{"agent", only_agent_id(*controller)}, {"plan", restore_plan(slow.url("src.tib"), r.target)}});
    REQUIRE(eventually([&] { return restore_started(*controller, job); }, 60));
    controller->kill(SIGKILL);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    controller = std::make_unique<ControllerProcess>(r.dir, r.dir.file("controller"), port);
    const bool finished = eventually([&] { return controller->job_state(job) == "succeeded"; }, 120);
    INFO(agent.log() + controller->log());
    REQUIRE(finished);
    check_events_whole(*controller, job);
    CHECK(file_digest(r.target) == r.uninterrupted_digest());
}

TEST_CASE("controller: a job refused as busy is offered again once the machine is free, unless it was cancelled meanwhile",
          "[controller][integration]") {
    if (!controller_tools_present()) FAIL("missing: curl or sfdisk");
    Recovery r;
    ControllerProcess controller(r.dir, r.dir.file("controller"), 0, r.archives);
    // Another job holds the machine: a `dagda run` would take this same lock (the agent's run folder).
    const std::string run_folder = r.dir.file("agent-srv01") + "/run";
    fs::create_directories(run_folder);
    const int lock = ::open((run_folder + "/job.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    REQUIRE(lock >= 0);
    REQUIRE(::flock(lock, LOCK_EX) == 0);
    const std::string before = file_digest(r.target);
    AgentProcess agent(r.dir, {"srv01", controller.enrol("srv01"), r.target, "machine-a", controller.port(), controller.pin(), ""});
    const std::string job = submit(controller, {{"agent", only_agent_id(controller)}, {"plan", restore_plan(r.archives + "/src.tib", r.target)}});
    // The agent says why in the controller's log; the job waits, offered, not refused.
    REQUIRE(eventually([&] { return controller.log().find("agent agent-srv01 [warn] job " + job + ": busy") != std::string::npos; }, 30));
    CHECK(controller.job_state(job) == "offered");

    SECTION("the machine becomes free: the next idle heartbeat gets the job offered again, and it runs") {
        ::close(lock);
        const bool finished = eventually([&] { return controller.job_state(job) == "succeeded"; }, 60);
        INFO(agent.log() + controller.log());
        REQUIRE(finished);
        check_events_whole(controller, job);
    }
    SECTION("cancelled while it waited: it never starts, even once the machine is free") {
        REQUIRE(controller.api("POST", "/api/jobs/" + job + "/cancel")["status"] == 202);
        ::close(lock);
        const bool cancelled = eventually([&] { return controller.job_state(job) == "cancelled"; }, 30);
        INFO(agent.log() + controller.log());
        REQUIRE(cancelled);
        std::this_thread::sleep_for(std::chrono::seconds(5));  // two more heartbeats: still nothing runs
        CHECK(controller.job_state(job) == "cancelled");
        CHECK(controller.events(job).empty());
        CHECK(file_digest(r.target) == before);
    }
}
