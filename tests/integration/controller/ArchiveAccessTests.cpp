// Issue 13, items 1, 4, 5 and 11: what the controller's /files/ serves, to whom, and how. A job's
// URLs read that job's generation chain only, while it runs, on the address its agent dialled; a
// symbolic link out of the archive folder is never served; a file is streamed, never held whole.
// Real controller and agent processes, curl as any other client.

#include "common/Run.hpp"
#include "common/TcpProxy.hpp"
#include "integration/controller/ControllerFixture.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

using namespace dagda::testing;
namespace fs = std::filesystem;

namespace {

/// The HTTP status of a GET of `url` (trusting the controller's CA), "" range for a whole file.
int status_of(const ControllerProcess& controller, const std::string& url, const std::string& range = "") {
    const RunResult result = run("curl -sS --max-time 20 --cacert " + sh_quote(controller.ca_file()) + " -o /dev/null -w '%{http_code}' " +
                                 (range.empty() ? "" : "-r " + range + " ") + sh_quote(url));
    if (result.exit_code != 0) throw std::runtime_error("curl " + url + ": " + result.err);
    return std::stoi(result.out);
}

/// The archive URL a job's plan names (its image.restore step's).
std::string archive_url_of(const ControllerProcess& controller, const std::string& job) {
    const auto plan = controller.api("GET", "/api/jobs/" + job)["body"]["plan"];
    for (const auto& step : plan["steps"])
        if (step.value("step", "") == "image.restore") return step["archive"];
    FAIL("the plan has no image.restore step: " << plan.dump());
    return "";
}

}  // namespace

TEST_CASE("controller: a job's archive URLs read its own chain on the address its agent dialled, until the job ends",
          "[controller][integration][files]") {
    REQUIRE(controller_tools_present());
    TempDir dir;
    const std::string archives = dir.file("archives");
    fs::create_directories(archives);
    make_source_disk(dir, archives + "/src.tib");
    fs::copy_file(archives + "/src.tib", archives + "/other.tib");  // another server's backup
    const std::string target = make_image(dir, "target.img", 48ull << 20);
    ControllerProcess controller(dir, dir.file("controller"), 0, archives);
    // The agent reaches the controller by another address than the one it listens on (a QEMU
    // guest's 10.0.2.2, a NAT): here a forwarder on another port of loopback.
    TcpProxy forwarder(controller.port());
    AgentProcess agent(dir, {"srv01", controller.enrol("srv01"), target, "machine-a", forwarder.port(), controller.pin(), ""});
    const std::string agent_id = only_agent_id(controller);

    const nlohmann::json created = controller.api("POST", "/api/jobs", {{"agent", agent_id}, {"recover", {{"archive", "src.tib"}}}});
    REQUIRE(created["status"] == 201);
    const std::string job = created["body"]["id"];
    const bool finished = eventually([&] { return controller.job_state(job) == "succeeded"; }, 120);
    INFO(agent.log() + controller.log());
    REQUIRE(finished);  // its URLs were on the forwarder's address, which the agent trusts and reaches
    CHECK_THAT(controller.log(), !Catch::Contains("stopped answering"));

    const std::string url = archive_url_of(controller, job);
    std::smatch parts;
    REQUIRE(std::regex_match(url, parts, std::regex(R"((https://127\.0\.0\.1:\d+/files/)([0-9a-f]{64})/src\.tib)")));
    const std::string files = parts[1], key = parts[2];
    CHECK(status_of(controller, url) == 403);  // the job has ended: its key with it

    // A job still queued (its agent is gone) may read its chain, and nothing else.
    agent.kill(SIGTERM);
    REQUIRE(eventually([&] { return !controller.api("GET", "/api/agents")["body"]["agents"][0].value("connected", true); }, 20));
    const nlohmann::json queued = controller.api("POST", "/api/jobs", {{"agent", agent_id}, {"recover", {{"archive", "src.tib"}}}});
    REQUIRE(queued["status"] == 201);
    const std::string next_job = queued["body"]["id"];
    const std::string next_url = archive_url_of(controller, next_job);
    const std::string next_key = next_url.substr(files.size(), 64);
    CHECK(next_key != key);
    CHECK(status_of(controller, next_url, "0-4095") == 206);
    CHECK(status_of(controller, files + next_key + "/other.tib", "0-4095") == 403);       // another server's backup
    CHECK(status_of(controller, files + next_key + "/../controller.db") == 403);
    CHECK(status_of(controller, files + key + "/src.tib", "0-4095") == 403);              // the ended job's key
    CHECK(status_of(controller, files + std::string(64, 'a') + "/src.tib", "0-4095") == 403);

    // The granted name turned into a link to the operator's token: refused, never followed.
    fs::rename(archives + "/src.tib", archives + "/src.tib.moved");
    fs::create_symlink(dir.file("controller") + "/operator-token", archives + "/src.tib");
    CHECK(status_of(controller, next_url) == 403);
    CHECK(eventually([&] { return controller.log().find("refused to serve src.tib") != std::string::npos; }, 5));
    fs::remove(archives + "/src.tib");
    fs::rename(archives + "/src.tib.moved", archives + "/src.tib");
    CHECK(status_of(controller, next_url, "0-4095") == 206);

    const nlohmann::json cancelled = controller.api("POST", "/api/jobs/" + next_job + "/cancel");
    CHECK(cancelled["body"]["state"] == "cancelled");
    CHECK(status_of(controller, next_url, "0-4095") == 403);
}

TEST_CASE("controller: ranges of a large file are streamed in pieces, never held in memory", "[controller][integration][files]") {
    REQUIRE(controller_tools_present());
    TempDir dir;
    const std::string pxe = dir.file("pxe");
    fs::create_directories(pxe);
    write_file(pxe + "/vmlinuz", "kernel");
    {
        std::ofstream initrd(pxe + "/initrd.img");
        initrd.seekp((160ll << 20) - 1);
        initrd.put('\n');  // 160 MiB, sparse: reading it costs no disk
    }
    ControllerProcess controller(dir, dir.file("controller"), 0, "", {"--boot-port", "0", "--boot-files", pxe});
    const std::string initrd_url = controller.boot_script_url().substr(0, controller.boot_script_url().rfind('/')) + "/initrd.img";
    const std::uint64_t before = controller.resident_bytes();
    // Eight slow readers of 80 MiB ranges: a controller that reads a range whole before sending it
    // holds 640 MiB; one that streams holds a piece per connection.
    std::vector<std::unique_ptr<ChildProcess>> readers;
    for (int i = 0; i < 8; ++i)
        readers.push_back(std::make_unique<ChildProcess>(
            std::vector<std::string>{"curl", "-sS", "--max-time", "20", "--limit-rate", "2M", "-r",
                                     std::to_string(i * (8 << 20)) + "-" + std::to_string(i * (8 << 20) + (80 << 20) - 1), "-o", "/dev/null",
                                     initrd_url},
            std::vector<std::string>{}, dir.file("reader-" + std::to_string(i) + ".log")));
    std::uint64_t most = 0;
    for (int sample = 0; sample < 30; ++sample) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        most = std::max(most, controller.resident_bytes());
    }
    for (auto& reader : readers) reader->signal(SIGTERM);
    INFO("resident before: " << before / 1024 << " KiB, at most while serving: " << most / 1024 << " KiB");
    CHECK(most < before + (64ull << 20));
}
