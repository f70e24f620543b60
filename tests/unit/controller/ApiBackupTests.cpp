// `backup` jobs: the controller plans a backup of an agent's disk into its archive folder, as a
// new generation of a server (full, or incremental on a chain of real `dagda tib capture` files),
// and grants the job exactly the chain it reads and the one file it uploads.

#include "ApiTestBench.hpp"

#include "common/Run.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>

using namespace dagda::testing;
using dagda::controller::ApiResponse;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

/// Queues a backup; a job that was queued is ended at once so the agent can take the next.
ApiResponse backup(ApiTestBench& bench, const std::string& agent, const json& request) {
    const ApiResponse answer = bench.call("POST", "/api/jobs", json{{"agent", agent}, {"backup", request}}.dump());
    if (answer.status == 201) bench.store.set_job_state(answer.body["id"].get<std::string>(), "cancelled", 101);
    return answer;
}

json capture_step_of(ApiTestBench& bench, const ApiResponse& created) {
    REQUIRE(created.status == 201);
    const json plan = bench.store.job(created.body["id"].get<std::string>())->plan;
    REQUIRE(plan["steps"].size() == 1);
    REQUIRE(plan["steps"][0]["step"] == "image.capture");
    return plan["steps"][0];
}

/// A full backup of a small partitioned disk image, written by the real capture into `archive`.
void capture_full(ApiTestBench& bench, const std::string& archive) {
    const std::string source = bench.image("source-" + fs::path(archive).stem().string() + ".img", 8ull << 20);
    REQUIRE(run("echo ',4M,L' | sfdisk -q " + sh_quote(source)).exit_code == 0);
    fs::create_directories(fs::path(archive).parent_path());
    const RunResult captured = run(dagda_command() + " tib capture --disk " + sh_quote(source) + " " + sh_quote(archive) + " --progress none");
    INFO(captured.err);
    REQUIRE(captured.exit_code == 0);
}

}  // namespace

TEST_CASE("Api: a backup job uploads one new file of the server's folder, full where the server has no chain", "[controller][api][backup]") {
    ApiTestBench bench;
    const std::string disk = bench.image("disk.img", 64ull << 20);
    const std::string agent = bench.admit("srv01", bench.inventory_of({disk}));
    const json example = api_examples().at("job-backup-request");
    REQUIRE(example["agent"] == agent);
    const ApiResponse created = bench.call("POST", "/api/jobs", example.dump());
    REQUIRE(created.status == 201);
    const auto record = bench.store.job(created.body["id"].get<std::string>());
    const json& plan = record->plan;
    CHECK(plan["disks"]["source"]["path"] == disk);
    CHECK_THAT(plan["name"].get<std::string>(), Catch::Contains("(full)"));
    const json& step = plan["steps"][0];
    CHECK(step["step"] == "image.capture");
    CHECK(step["level"] == 3);
    CHECK_FALSE(step.contains("base"));
    std::smatch parts;
    const std::string output = step["output"];
    REQUIRE(std::regex_match(output, parts, std::regex(R"(https://10\.0\.2\.2:8443/uploads/([0-9a-f]{64})/srv01/(\d{8}T\d{6}Z\.tib))")));
    const std::string key = parts[1], name = "srv01/" + parts[2].str();
    CHECK(fs::is_directory(bench.archives() + "/srv01"));
    // The key uploads that file and nothing else, and reads nothing.
    const auto grant = bench.store.upload_grant(key, name);
    REQUIRE(grant);
    CHECK(grant->base == std::optional<std::string>(""));  // a full backup: its commit refuses an incremental
    CHECK_FALSE(bench.store.file_granted(key, name));
    CHECK_FALSE(bench.store.upload_grant(key, "srv01/other.tib"));
    CHECK_FALSE(bench.store.upload_grant(std::string(64, '0'), name));
    bench.store.set_job_state(created.body["id"].get<std::string>(), "succeeded", 200);
    CHECK_FALSE(bench.store.upload_grant(key, name));  // the job has ended
    CHECK(bench.store.take_ended_uploads() == std::vector<std::string>{name});
    CHECK(bench.store.take_ended_uploads().empty());  // forgotten once handed out

    // A name taken (by an archive, an upload, or a backup still queued) is never given again.
    const std::string other_agent = bench.admit("srv02", bench.inventory_of({bench.image("disk2.img", 64ull << 20)}));
    const ApiResponse queued_one = bench.call("POST", "/api/jobs", json{{"agent", agent}, {"backup", {{"server", "srv03"}}}}.dump());
    const ApiResponse queued_two = bench.call("POST", "/api/jobs", json{{"agent", other_agent}, {"backup", {{"server", "srv03"}}}}.dump());
    REQUIRE(queued_one.status == 201);
    REQUIRE(queued_two.status == 201);
    CHECK(bench.store.job(queued_one.body["id"].get<std::string>())->plan["steps"][0]["output"] !=
          bench.store.job(queued_two.body["id"].get<std::string>())->plan["steps"][0]["output"]);
    bench.store.set_job_state(queued_one.body["id"].get<std::string>(), "cancelled", 101);
    bench.store.set_job_state(queued_two.body["id"].get<std::string>(), "cancelled", 101);
    fs::remove_all(bench.archives() + "/srv01");
    fs::create_directories(bench.archives() + "/srv02");
    const std::string second = capture_step_of(bench, backup(bench, agent, {{"server", "srv02"}}))["output"];
    const std::string file = second.substr(second.rfind('/') + 1);
    write_file(bench.archives() + "/srv02/" + file + ".upload", "half");
    const std::string third = capture_step_of(bench, backup(bench, agent, {{"server", "srv02"}}))["output"];
    CHECK(third.substr(third.rfind('/') + 1) != file);
}

TEST_CASE("Api: a backup job continues the server's chain, reading exactly that chain", "[controller][api][backup]") {
    ApiTestBench bench;
    const std::string agent = bench.admit("srv01", bench.inventory_of({bench.image("disk.img", 64ull << 20)}));
    const std::string folder = bench.archives() + "/srv01";
    capture_full(bench, folder + "/a-full.tib");
    const json step = capture_step_of(bench, backup(bench, agent, {{"server", "srv01"}}));
    REQUIRE(step.contains("base"));
    const std::string base = step["base"];
    std::smatch parts;
    REQUIRE(std::regex_match(base, parts, std::regex(R"(https://10\.0\.2\.2:8443/files/([0-9a-f]{64})/srv01/a-full\.tib)")));
    CHECK(bench.store.file_granted(parts[1], "srv01/a-full.tib") == false);  // the job was ended by backup()

    // Asked for a full backup, it reads nothing.
    CHECK_FALSE(capture_step_of(bench, backup(bench, agent, {{"server", "srv01"}, {"full", true}})).contains("base"));

    // A server with two chains must be told which to continue.
    capture_full(bench, folder + "/b-full.tib");
    const ApiResponse ambiguous = backup(bench, agent, {{"server", "srv01"}});
    CHECK(ambiguous.status == 400);
    CHECK_THAT(ambiguous.body["message"].get<std::string>(), Catch::Contains("has 2 chains"));
    CHECK_THAT(capture_step_of(bench, backup(bench, agent, {{"server", "srv01"}, {"chain", "b-full.tib"}}))["base"].get<std::string>(),
               Catch::EndsWith("/srv01/b-full.tib"));
    const ApiResponse unknown = backup(bench, agent, {{"server", "srv01"}, {"chain", "c-full.tib"}});
    CHECK(unknown.status == 400);
    CHECK_THAT(unknown.body["message"].get<std::string>(), Catch::Contains("no chain that begins with c-full.tib"));

    // A queued backup's key reads its chain while the job runs.
    const ApiResponse queued = bench.call("POST", "/api/jobs", json{{"agent", agent}, {"backup", {{"server", "srv01"}, {"chain", "a-full.tib"}}}}.dump());
    REQUIRE(queued.status == 201);
    const std::string url = bench.store.job(queued.body["id"].get<std::string>())->plan["steps"][0]["base"];
    const std::string key = url.substr(url.find("/files/") + 7, 64);
    CHECK(bench.store.file_granted(key, "srv01/a-full.tib"));
    CHECK_FALSE(bench.store.file_granted(key, "srv01/b-full.tib"));
    // Its upload is granted as an incremental on that chain's newest file, and on nothing else.
    const std::string output = bench.store.job(queued.body["id"].get<std::string>())->plan["steps"][0]["output"];
    const auto upload = bench.store.upload_grant(key, "srv01/" + output.substr(output.rfind('/') + 1));
    REQUIRE(upload);
    CHECK(upload->base == std::optional<std::string>("srv01/a-full.tib"));
}

TEST_CASE("Api: bad backup requests are refused, naming what is wrong", "[controller][api][backup]") {
    ApiTestBench bench;
    const std::string agent = bench.admit("srv01", bench.inventory_of({bench.image("disk.img", 64ull << 20)}));
    const std::vector<std::pair<json, std::string>> bad{
        {json::object(), "needs a \"server\""},
        {{{"server", "../etc"}}, "plain folder name"},
        {{{"server", ".hidden"}}, "plain folder name"},
        {{{"server", "srv01"}, {"full", true}, {"chain", "a.tib"}}, "\"chain\""},
        {{{"server", "srv01"}, {"level", 20}}, "0 to 19"},
        {{{"server", "srv01"}, {"disk", "no-such-disk"}}, "no-such-disk"},
        {{{"server", "srv01"}, {"chain", "a.tib"}}, "no backups yet"},
        {{{"server", "srv01"}, {"where", "else"}}, "where"},
    };
    for (const auto& [request, says] : bad) {
        INFO(request.dump());
        const ApiResponse answer = backup(bench, agent, request);
        CHECK(answer.status == 400);
        CHECK_THAT(answer.body.value("message", ""), Catch::Contains(says));
    }
    CHECK(bench.call("POST", "/api/jobs", json{{"agent", agent}, {"backup", "srv01"}}.dump()).status == 400);
    CHECK(bench.call("POST", "/api/jobs", json{{"agent", agent}, {"backup", {{"server", "srv01"}}}, {"recover", {{"archive", "a.tib"}}}}.dump()).status == 400);
}
