// Issue 6: `dagda ctl`, the operator's client, against a real controller and agent on loopback:
// enrol, agents, a recovery ordered and watched to its end, a running job cancelled, and the
// controller's identity checked before any request.

#include "common/RangeServer.hpp"
#include "common/Run.hpp"
#include "integration/controller/ControllerFixture.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace dagda::testing;
namespace fs = std::filesystem;

namespace {

/// `dagda ctl ARGS` with the controller, pin and operator token of `controller`.
RunResult ctl(const ControllerProcess& controller, const std::string& state_dir, const std::string& args) {
    return run(dagda_command() + " ctl " + args + " --controller " + controller.url() + " --pin " + controller.pin() + " --token-file " +
               sh_quote(state_dir + "/operator-token"));
}

}  // namespace

TEST_CASE("ctl: enrol, list, recover and watch a job to its end, cancel a running one", "[controller][integration][ctl]") {
    if (!controller_tools_present()) {
        WARN("skipped: curl or sfdisk missing");
        return;
    }
    TempDir dir;
    const std::string archives = dir.file("archives");
    fs::create_directories(archives);
    make_source_disk(dir, archives + "/src.tib");
    const std::string target = make_image(dir, "target.img", 48ull << 20);
    const std::string state = dir.file("controller");
    ControllerProcess controller(dir, state, 0, archives);

    const RunResult enrolled = ctl(controller, state, "enrol srv01");
    REQUIRE(enrolled.exit_code == 0);
    REQUIRE(enrolled.out.size() == 65);  // the token alone, 64 hex digits and a newline
    write_file(dir.path() / "srv01.token", enrolled.out);
    CHECK(ctl(controller, state, "enrol srv01").exit_code == 1);  // a name is enrolled once

    AgentProcess agent(dir, {"srv01", dir.file("srv01.token"), target, "machine-a", controller.port(), controller.pin(), ""});
    REQUIRE(eventually([&] { return ctl(controller, state, "agents").out.find("agent-srv01  connected") != std::string::npos; }, 30));

    const RunResult queued = ctl(controller, state, "recover agent-srv01 src.tib");
    INFO(queued.err);
    REQUIRE(queued.exit_code == 0);
    const std::string job = queued.out.substr(0, queued.out.find('\n'));
    const RunResult watched = run("timeout 120 " + dagda_command() + " ctl watch " + job + " --controller " + controller.url() + " --pin " +
                                  controller.pin() + " --token-file " + sh_quote(state + "/operator-token"));
    INFO(watched.out + watched.err + agent.log());
    CHECK(watched.exit_code == 0);
    CHECK_THAT(watched.out + watched.err, Catch::Contains("image.restore"));
    CHECK(controller.job_state(job) == "succeeded");

    SECTION("a running job cancelled through ctl ends cancelled, and watch says so with exit 4") {
        RangeServer slow(archives);
        slow.delay(std::chrono::milliseconds(400));
        write_file(dir.path() / "slow-plan.json", restore_plan(slow.url("src.tib"), target).dump());
        const RunResult submitted = ctl(controller, state, "submit agent-srv01 " + sh_quote(dir.file("slow-plan.json")));
        REQUIRE(submitted.exit_code == 0);
        const std::string slow_job = submitted.out.substr(0, submitted.out.find('\n'));
        REQUIRE(eventually([&] { return controller.job_state(slow_job) == "running"; }, 30));
        CHECK(ctl(controller, state, "cancel " + slow_job).exit_code == 0);
        const RunResult ended = ctl(controller, state, "watch " + slow_job);
        INFO(ended.out + ended.err + agent.log());
        CHECK(ended.exit_code == 4);
        CHECK(controller.job_state(slow_job) == "cancelled");
    }
    SECTION("a wrong pin is refused before any request is sent") {
        const RunResult refused = run(dagda_command() + " ctl agents --controller " + controller.url() +
                                      " --pin AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99 --token-file " +
                                      sh_quote(state + "/operator-token"));
        CHECK(refused.exit_code != 0);
        CHECK_THAT(refused.err, Catch::Contains("pin"));
    }
}
