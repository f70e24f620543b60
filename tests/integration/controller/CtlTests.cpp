// Issue 6: `dagda ctl`, the operator's client, against a real controller and agent on loopback:
// enrol, agents, a recovery ordered and watched to its end, a running job cancelled, and the
// controller's identity checked before any request.

#include "common/RangeServer.hpp"
#include "common/Run.hpp"
#include "integration/controller/ControllerFixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

using namespace dagda::testing;
namespace fs = std::filesystem;

namespace {

/// The version CMakeLists.txt's project() names: what every version string must say.
std::string project_version() {
    std::ifstream in(std::string(DAGDA_SOURCE_DIR) + "/CMakeLists.txt");
    std::stringstream text;
    text << in.rdbuf();
    std::smatch found;
    const std::string content = text.str();
    REQUIRE(std::regex_search(content, found, std::regex(R"(project\(dagda VERSION ([0-9.]+))")));
    return found[1];
}

/// The line of `text` that starts with `prefix` (lines are separated by newlines), or "".
std::string line_starting(const std::string& text, const std::string& prefix) {
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line))
        if (line.rfind(prefix, 0) == 0) return line;
    return "";
}

void replace_all(std::string& text, const std::string& what, const std::string& with) {
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + with.size())) text.replace(at, what.size(), with);
}

}  // namespace

TEST_CASE("ctl: enrol, list, recover and watch a job to its end, cancel a running one", "[controller][integration][ctl]") {
    REQUIRE(controller_tools_present());  // curl and sfdisk (scripts/setup installs them)
    TempDir dir;
    const std::string archives = dir.file("archives");
    fs::create_directories(archives);
    make_source_disk(dir, archives + "/src.tib");
    const std::string target = make_image(dir, "target.img", 48ull << 20);
    const std::string state = dir.file("controller");
    ControllerProcess controller(dir, state, 0, archives);

    const RunResult enrolled = controller.ctl("enrol srv01");
    REQUIRE(enrolled.exit_code == 0);
    REQUIRE(enrolled.out.size() == 65);  // the token alone, 64 hex digits and a newline
    write_file(dir.path() / "srv01.token", enrolled.out);
    CHECK(controller.ctl("enrol srv01").exit_code == 1);  // a name is enrolled once

    AgentProcess agent(dir, {"srv01", dir.file("srv01.token"), target, "machine-a", controller.port(), controller.pin(), ""});
    REQUIRE(eventually([&] { return controller.ctl("agents").out.find("agent-srv01  connected") != std::string::npos; }, 30));

    const RunResult queued = controller.ctl("recover agent-srv01 src.tib");
    INFO(queued.err);
    REQUIRE(queued.exit_code == 0);
    const std::string job = queued.out.substr(0, queued.out.find('\n'));
    const RunResult watched = run("timeout 120 " + dagda_command() + " ctl watch " + job + " --controller " + controller.url() + " --pin " +
                                  controller.pin() + " --token-file " + sh_quote(state + "/operator-token"));
    INFO(watched.out + watched.err + agent.log());
    CHECK(watched.exit_code == 0);
    CHECK_THAT(watched.out + watched.err, Catch::Contains("image.restore"));
    CHECK(controller.job_state(job) == "succeeded");
    CHECK_THAT(queued.err, !Catch::Contains("holds data"));  // the target was blank

    SECTION("a running job cancelled through ctl ends cancelled, and watch says so with exit 4") {
        RangeServer slow(archives);
        slow.delay(std::chrono::milliseconds(400));
        write_file(dir.path() / "slow-plan.json", restore_plan(slow.url("src.tib"), target).dump());
        const RunResult submitted = controller.ctl("submit agent-srv01 " + sh_quote(dir.file("slow-plan.json")));
        REQUIRE(submitted.exit_code == 0);
        const std::string slow_job = submitted.out.substr(0, submitted.out.find('\n'));
        REQUIRE(eventually([&] { return controller.job_state(slow_job) == "running"; }, 30));
        CHECK(controller.ctl("cancel " + slow_job).exit_code == 0);
        const RunResult ended = controller.ctl("watch " + slow_job);
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

TEST_CASE("ctl: the controller's printed lines work pasted, enrolment names and agent ids both name an agent, a disk holding data is said so",
          "[controller][integration][ctl]") {
    REQUIRE(controller_tools_present());
    TempDir dir;
    const std::string archives = dir.file("archives");
    fs::create_directories(archives);
    make_source_disk(dir, archives + "/src.tib");
    const std::string target = make_image(dir, "target.img", 48ull << 20);
    REQUIRE(run("echo ',20M,7' | sfdisk -q " + sh_quote(target)).exit_code == 0);  // data on the disk to recover onto
    const std::string state = dir.file("controller");
    ControllerProcess controller(dir, state, 0, archives);

    // What the controller printed on start, pasted into a shell as it is.
    const std::string exports = line_starting(controller.banner(), "export DAGDA_CTL_");
    INFO(controller.banner());
    REQUIRE_THAT(exports, Catch::Contains("DAGDA_CTL_CONTROLLER=https://127.0.0.1:" + std::to_string(controller.port())));
    const auto pasted = [&](const std::string& args) { return run(exports + " && " + dagda_command() + " ctl " + args); };
    const RunResult enrolled = pasted("enrol srv02");
    INFO(enrolled.err);
    REQUIRE(enrolled.exit_code == 0);
    write_file(dir.path() / "srv02.token", enrolled.out);
    REQUIRE(pasted("enrol pxe01 --mac 52:54:00:12:34:56").exit_code == 0);

    SECTION("before its agent connects, an enrolment is listed without one, and ctl says why it cannot be used yet") {
        const RunResult listed = pasted("enrolments --json");
        REQUIRE(listed.exit_code == 0);
        const nlohmann::json enrolments = nlohmann::json::parse(listed.out)["enrolments"];
        REQUIRE(enrolments.size() == 2);
        CHECK(enrolments[0] == nlohmann::json{{"name", "pxe01"}, {"mac", "52:54:00:12:34:56"}, {"armed", true}, {"machine_id", nullptr}, {"agent", nullptr}});
        CHECK(enrolments[1] == nlohmann::json{{"name", "srv02"}, {"mac", nullptr}, {"armed", false}, {"machine_id", nullptr}, {"agent", nullptr}});
        for (const std::string name : {"srv02", "agent-srv02"}) {
            const RunResult early = pasted("recover " + name + " src.tib");
            CHECK(early.exit_code == 1);
            CHECK_THAT(early.err, Catch::Contains("the enrolment \"srv02\" has no agent yet"));
        }
        const RunResult unknown = pasted("jobs --agent nosuch");
        CHECK(unknown.exit_code == 1);
        CHECK_THAT(unknown.err, Catch::Contains("no agent or enrolment \"nosuch\"") && Catch::Contains("agent-NAME"));
    }
    SECTION("the printed agent line connects; ctl recover by the enrolment's name says the disk holds data") {
        std::string agent_line = line_starting(controller.banner(), "dagda agent ");
        REQUIRE_THAT(agent_line, Catch::Contains("--pin " + controller.pin()));
        replace_all(agent_line, "NAME.token", dir.file("srv02.token"));
        replace_all(agent_line, "NAME", "srv02");
        agent_line.replace(0, 5, dagda_command());
        const std::string agent_state = dir.file("agent-state");
        ChildProcess agent({"sh", "-c", "exec " + agent_line + " --state-dir " + sh_quote(agent_state) + " --disk " + sh_quote(target) +
                                            " --machine-id machine-b"},
                           {"DAGDA_RUN_DIR=" + agent_state + "/run"}, dir.file("agent.log"));
        REQUIRE(eventually([&] { return pasted("agents").out.find("agent-srv02  connected") != std::string::npos; }, 30));
        INFO(file_bytes(dir.file("agent.log")));

        const RunResult listed = pasted("enrolments");
        CHECK_THAT(listed.out, Catch::Contains("srv02  agent agent-srv02, no MAC, bound to machine machine-b"));
        CHECK_THAT(listed.out, Catch::Contains("pxe01  agent (not connected yet), MAC 52:54:00:12:34:56 armed for its next PXE boot"));
        const nlohmann::json agents = nlohmann::json::parse(pasted("agents --json").out)["agents"];
        REQUIRE(agents.size() == 1);
        CHECK(agents[0]["agent_version"] == "dagda " + project_version());  // the hello says the build's version

        const RunResult queued = pasted("recover srv02 src.tib");
        INFO(queued.err);
        REQUIRE(queued.exit_code == 0);
        CHECK_THAT(queued.err, Catch::Contains("for agent-srv02"));
        CHECK_THAT(queued.err, Catch::Contains("the disk holds data: a dos partition table with 1 partition (1 no filesystem known): it will be overwritten"));
        const std::string job = queued.out.substr(0, queued.out.find('\n'));
        CHECK_THAT(pasted("job " + job).out, Catch::Contains("the disk holds data"));
        // An enrolment is meant: its agent's id names it too (and srv02 has no MAC to arm).
        const RunResult arm = pasted("arm agent-srv02");
        CHECK(arm.exit_code == 1);
        CHECK_THAT(arm.err, Catch::Contains("the enrolment \"srv02\" names no MAC address"));
        CHECK_THAT(pasted("jobs --agent srv02").out, Catch::Contains(job + "  agent-srv02"));
    }
}

TEST_CASE("ctl: hypervisors are added, listed and removed, a password in a URI is refused", "[controller][integration][ctl][hypervisor]") {
    REQUIRE(controller_tools_present());
    TempDir dir;
    const std::string state = dir.file("controller");
    ControllerProcess controller(dir, state);
    const RunResult added = controller.ctl("hypervisor add local --uri qemu:///system --pool dagda --network default");
    INFO(added.err);
    CHECK(added.exit_code == 0);
    CHECK_THAT(added.err, Catch::Contains("added the qemu hypervisor local (qemu:///system, pool dagda)"));
    const RunResult secret = controller.ctl("hypervisor add esx1 --uri esx://root:s3cret@esx1.lan/ --pool datastore1");
    CHECK(secret.exit_code == 1);
    CHECK_THAT(secret.err, Catch::Contains("holds a password"));
    CHECK_THAT(controller.log(), !Catch::Contains("s3cret"));
    CHECK(controller.ctl("hypervisor list").out == "local  qemu:///system  pool dagda  network default\n");
    CHECK(controller.ctl("hypervisor remove local").exit_code == 0);
    CHECK(controller.ctl("hypervisor remove local").exit_code == 1);
    CHECK(controller.ctl("hypervisor list").out.empty());
    CHECK(controller.ctl("hypervisor frobnicate").exit_code == 2);
}

TEST_CASE("ctl: servers are the archive folder's folders, each disk a chain of numbered generations", "[controller][integration][ctl][servers]") {
    REQUIRE(controller_tools_present());
    TempDir dir;
    const std::string archives = dir.file("archives");
    fs::create_directories(archives + "/srv01");
    fs::create_directories(archives + "/empty");
    // srv01: two disks, each a full backup and an incremental on it; a loose file beside the
    // server folders is no server.
    const std::string disk = make_source_disk(dir, archives + "/srv01/disk1-g1.tib");
    const auto capture = [&](const std::string& args) {
        const RunResult result = run(dagda_command() + " tib capture --disk " + sh_quote(disk) + " " + args + " --progress none");
        INFO(result.err);
        REQUIRE(result.exit_code == 0);
    };
    capture(sh_quote(archives + "/srv01/disk2-g1.tib"));
    // The newest generation records the source machine's size (an image file's is not known).
    capture(sh_quote(archives + "/srv01/disk1-g2.tib") + " --base " + sh_quote(archives + "/srv01/disk1-g1.tib") +
            " --machine-cpus 4 --machine-memory 6144");
    capture(sh_quote(archives + "/srv01/disk2-g2.tib") + " --base " + sh_quote(archives + "/srv01/disk2-g1.tib"));
    capture(sh_quote(archives + "/loose.tib"));
    fs::create_symlink(archives + "/loose.tib", archives + "/srv01/elsewhere.tib");  // a link is not one of srv01's archives
    const std::string state = dir.file("controller");
    ControllerProcess controller(dir, state, 0, archives);

    const RunResult servers = controller.ctl("servers");
    INFO(servers.err);
    CHECK_THAT(servers.out, Catch::StartsWith("srv01  2 disks, 2 generations, newest 20"));
    CHECK(std::count(servers.out.begin(), servers.out.end(), '\n') == 1);  // no "empty", no loose file
    const RunResult generations = controller.ctl("generations srv01");
    INFO(generations.out);
    CHECK_THAT(generations.out, Catch::StartsWith("srv01: 2 generations"));
    CHECK_THAT(generations.out, Catch::Contains("  disk disk1-g2.tib: 48 MiB, dos, from "));
    CHECK_THAT(generations.out, Catch::Contains("full  40.0 MiB  disk2-g1.tib") && Catch::Contains("incremental"));
    CHECK_THAT(generations.out, !Catch::Contains(archives));  // file names, never the controller's folders
    const nlohmann::json server = controller.api("GET", "/api/servers/srv01")["body"];
    REQUIRE(server["chains"].size() == 2);
    CHECK(server["chains"][0]["generations"][1]["number"] == 2);
    CHECK(server["chains"][0]["generations"][1]["kind"] == "incremental");
    CHECK(server["chains"][0]["disk_bytes"] == 48ull << 20);
    CHECK(server["chains"][0]["machine"] == nlohmann::json{{"cpus", 4}, {"memory_mib", 6144}});
    CHECK_FALSE(server["chains"][1].contains("machine"));
    // A new VM of the source's size, by default; the plan only (nothing is asked of libvirt).
    REQUIRE(controller.ctl("hypervisor add local --uri qemu:///system --pool dagda").exit_code == 0);
    const RunResult planned = controller.ctl("recover-vm srv01 --hypervisor local --name srv01-copy --direct --dry-run");
    INFO(planned.err);
    CHECK_THAT(planned.out, Catch::Contains("VM: 4 CPUs, 6144 MiB, bios, sata disks"));
    CHECK_THAT(planned.out, Catch::Contains("disk srv01-copy-disk2.img: 48 MiB, serial DAGDA-") && Catch::Contains("from disk2-g2.tib"));
    // Helper mode needs the live ISO, which this controller was not given.
    CHECK_THAT(controller.ctl("recover-vm srv01 --hypervisor local --name srv01-copy --dry-run").err,
               Catch::Contains("no live ISO for a helper VM (start it with --helper-iso)"));
    // A base gone: the chain is listed as broken, and the server has no whole generation.
    fs::remove(archives + "/srv01/disk2-g1.tib");
    const nlohmann::json broken = controller.api("GET", "/api/servers/srv01")["body"];
    CHECK(broken["generations"] == 0);
    CHECK_THAT(broken.dump(), Catch::Contains("disk2-g1.tib"));
    CHECK(controller.api("GET", "/api/servers/nobody")["status"] == 404);
    CHECK(controller.api("GET", "/api/servers/a%2Fb")["status"] == 400);  // a path, not a folder name
    CHECK(controller.ctl("generations nobody").exit_code == 1);
}

TEST_CASE("dagda --version prints CMake's project version", "[ctl][integration]") {
    const RunResult version = run(dagda_command() + " --version");
    CHECK(version.exit_code == 0);
    CHECK(version.out == "dagda " + project_version() + "\n");
}
