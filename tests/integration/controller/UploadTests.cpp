// Issue 15, item 5: an agent backs up to the controller. A backup job's agent uploads a new
// generation (full, then incremental on it) that the controller commits only once verified; an
// upload survives a cut link and a controller restarted under it; what is not granted, not whole
// or not an archive is refused and never gets an archive's name. Real controller, agent and
// `dagda tib capture` processes on loopback; curl as a hostile client.

#include "common/ChildProcess.hpp"
#include "common/Run.hpp"
#include "common/TcpProxy.hpp"
#include "integration/controller/ControllerFixture.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

using namespace dagda::testing;
namespace fs = std::filesystem;

namespace {

/// The image.capture step of a job's plan.
nlohmann::json capture_step(const ControllerProcess& controller, const std::string& job) {
    const auto plan = controller.api("GET", "/api/jobs/" + job)["body"]["plan"];
    for (const auto& step : plan["steps"])
        if (step.value("step", "") == "image.capture") return step;
    FAIL("the plan has no image.capture step: " << plan.dump());
    return nullptr;
}

/// The .tib files of a server's folder, and whether any upload is left unfinished there.
std::vector<std::string> archives_of(const std::string& folder, bool& unfinished) {
    std::vector<std::string> names;
    unfinished = false;
    if (!fs::exists(folder)) return names;
    for (const auto& entry : fs::directory_iterator(folder)) {
        const std::string name = entry.path().filename().string();
        if (entry.path().extension() == ".tib") names.push_back(name);
        if (entry.path().extension() == ".upload") unfinished = true;
    }
    std::sort(names.begin(), names.end());
    return names;
}

/// The disk `archive` restores, as an image of `size` bytes, and its digest.
std::string restored_digest(const TempDir& dir, const std::string& archive, std::uint64_t size, const std::string& name) {
    const std::string target = make_image(dir, name, size);
    const RunResult restored = run(dagda_command() + " tib restore " + sh_quote(archive) + " " + sh_quote(target) + " --disk --yes --progress none");
    INFO(restored.err);
    REQUIRE(restored.exit_code == 0);
    return file_digest(target);
}

/// Overwrites `bytes` bytes of `disk` at `offset` with seeded random data.
void scribble(const std::string& disk, std::uint64_t offset, std::size_t bytes, unsigned seed) {
    const std::string data = random_bytes(bytes, seed);
    std::fstream file(disk, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(offset));
    file.write(data.data(), static_cast<std::streamsize>(data.size()));
}

/// The ```json api-example-NAME``` block of docs/api.md: the examples are test inputs.
nlohmann::json api_example(const std::string& name) {
    std::ifstream in(std::string(DAGDA_SOURCE_DIR) + "/docs/api.md");
    const std::string doc{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    std::smatch block;
    if (!std::regex_search(doc, block, std::regex("```json api-example-" + name + "\\n([\\s\\S]*?)```")))
        throw std::runtime_error("docs/api.md has no example " + name);
    return nlohmann::json::parse(block[1].str());
}

std::set<std::string> keys_of(const nlohmann::json& object) {
    std::set<std::string> keys;
    for (const auto& item : object.items()) keys.insert(item.key());
    return keys;
}

/// curl against an upload URL: {"status": N, "body": JSON or null}.
nlohmann::json upload_call(const TempDir& dir, const ControllerProcess& controller, const std::string& method, const std::string& url,
                           const std::string& data_file = "", const std::string& header = "") {
    std::string command = "curl -sS --max-time 20 --cacert " + sh_quote(controller.ca_file()) + " -o " + sh_quote(dir.file("upload-body")) +
                          " -w '%{http_code}' -X " + method;
    if (!header.empty()) command += " -H " + sh_quote(header);
    if (!data_file.empty()) command += " --data-binary @" + sh_quote(data_file);
    const RunResult result = run(command + " " + sh_quote(url));
    if (result.exit_code != 0) throw std::runtime_error("curl " + url + ": " + result.err);
    const std::string text = file_bytes(dir.file("upload-body"));
    return {{"status", std::stoi(result.out)}, {"body", nlohmann::json::parse(text, nullptr, false)}};
}

/// A backup job of srv01 whose agent has gone: its grant holds while the job is queued, so the
/// test uploads with its URL itself. Returns the job's id.
std::string queued_backup(const TempDir& dir, const ControllerProcess& controller, const std::string& disk) {
    {
        AgentProcess agent(dir, {"srv01", controller.enrol("srv01"), disk, "machine-a", controller.port(), controller.pin(), ""});
        only_agent_id(controller);
        agent.kill(SIGTERM);
        agent.wait();
    }
    const std::string agent_id = controller.api("GET", "/api/agents")["body"]["agents"][0]["id"];
    const nlohmann::json queued = controller.api("POST", "/api/jobs", {{"agent", agent_id}, {"backup", {{"server", "srv01"}}}});
    REQUIRE(queued["status"] == 201);
    return queued["body"]["id"];
}

}  // namespace

TEST_CASE("controller: a backup job uploads a full generation, then an incremental on it, each committed once verified",
          "[controller][integration][upload]") {
    REQUIRE(controller_tools_present());
    TempDir dir;
    const std::string archives = dir.file("archives");
    fs::create_directories(archives);
    const std::string disk = make_source_disk(dir, dir.file("local.tib"));
    ControllerProcess controller(dir, dir.file("controller"), 0, archives);
    AgentProcess agent(dir, {"srv01", controller.enrol("srv01"), disk, "machine-a", controller.port(), controller.pin(), ""});
    const std::string agent_id = only_agent_id(controller);
    const std::string folder = archives + "/srv01";

    // The first backup of a server is a full one, in a folder made for it.
    const RunResult queued = controller.ctl("backup " + agent_id + " --server srv01");
    INFO(queued.err);
    REQUIRE(queued.exit_code == 0);
    const std::string first_job = queued.out.substr(0, queued.out.find_first_of(":\n"));
    CHECK_THAT(queued.err, Catch::Contains("(full)"));
    REQUIRE(eventually([&] { return controller.job_state(first_job) == "succeeded"; }, 120));
    const nlohmann::json first_step = capture_step(controller, first_job);
    CHECK_FALSE(first_step.contains("base"));
    CHECK(std::regex_match(first_step["output"].get<std::string>(), std::regex(R"(https://127\.0\.0\.1:\d+/uploads/[0-9a-f]{64}/srv01/\d{8}T\d{6}Z\.tib)")));
    bool unfinished = true;
    std::vector<std::string> files = archives_of(folder, unfinished);
    REQUIRE(files.size() == 1);
    CHECK_FALSE(unfinished);
    CHECK(run(dagda_command() + " tib verify " + sh_quote(folder + "/" + files[0]) + " --progress none").exit_code == 0);
    // Byte for byte the disk, as a capture on the machine itself restores it.
    const std::uint64_t size = fs::file_size(disk);
    CHECK(restored_digest(dir, folder + "/" + files[0], size, "first.img") == file_digest(disk));
    CHECK(restored_digest(dir, dir.file("local.tib"), size, "local.img") == file_digest(disk));

    // A second backup is an incremental on the chain: only what changed is sent.
    scribble(disk, 3 << 20, 1 << 20, 11);
    const std::string source_digest = file_digest(disk);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // names are by the second
    const nlohmann::json second = controller.api("POST", "/api/jobs", {{"agent", agent_id}, {"backup", {{"server", "srv01"}}}});
    REQUIRE(second["status"] == 201);
    const std::string second_job = second["body"]["id"];
    REQUIRE(eventually([&] { return controller.job_state(second_job) == "succeeded"; }, 120));
    CHECK_THAT(capture_step(controller, second_job)["base"].get<std::string>(), Catch::EndsWith("/srv01/" + files[0]));
    files = archives_of(folder, unfinished);
    REQUIRE(files.size() == 2);
    CHECK_FALSE(unfinished);
    const RunResult info = run(dagda_command() + " tib info " + sh_quote(folder + "/" + files[1]) + " --json");
    REQUIRE(info.exit_code == 0);
    CHECK(nlohmann::json::parse(info.out)["generations"].size() == 2);
    CHECK(fs::file_size(folder + "/" + files[1]) < (4u << 20));  // 1 MiB changed of 40
    CHECK(restored_digest(dir, folder + "/" + files[1], size, "second.img") == source_digest);
    // The servers listing shows the chain the controller now holds.
    const nlohmann::json servers = controller.api("GET", "/api/servers")["body"];
    CHECK(servers["servers"][0]["generations"] == 2);
}

TEST_CASE("controller: an upload goes on after a cut link and after the controller is killed and restarted under it",
          "[controller][integration][upload]") {
    REQUIRE(controller_tools_present());
    TempDir dir;
    const std::string archives = dir.file("archives");
    fs::create_directories(archives);
    const std::string disk = make_source_disk(dir, dir.file("local.tib"));
    auto controller = std::make_unique<ControllerProcess>(dir, dir.file("controller"), 0, archives);
    const unsigned short port = controller->port();
    // The upload is made by `dagda tib capture` itself, through a link the test cuts.
    const std::string url = capture_step(*controller, queued_backup(dir, *controller, disk))["output"];
    TcpProxy link(port);
    const std::string through = std::regex_replace(url, std::regex(":" + std::to_string(port) + "/"), ":" + std::to_string(link.port()) + "/");
    const std::string pin = controller->pin();
    // Level 19 keeps the capture slow (seconds), so the cuts fall in the middle of it.
    ChildProcess capture({dagda_binary_path(), "tib", "capture", "--disk", disk, through, "--pin", pin, "--level", "19", "--progress", "none", "--json"},
                         {}, dir.file("capture.err"));
    const std::string upload = archives + "/srv01/" + url.substr(url.rfind('/') + 1) + ".upload";
    auto held = [&] { return fs::exists(upload) ? fs::file_size(upload) : 0; };

    REQUIRE(eventually([&] { return held() >= (8u << 20); }, 60));
    link.cut(true);  // the link drops, and stays down for a while
    const std::uint64_t at_cut = held();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    CHECK(held() == at_cut);
    link.refuse(false);

    REQUIRE(eventually([&] { return held() >= at_cut + (8u << 20); }, 60));
    controller->kill(SIGKILL);  // mid-upload, with no goodbye
    const std::uint64_t at_kill = held();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    controller = std::make_unique<ControllerProcess>(dir, dir.file("controller"), port, archives);

    const int exit_code = capture.wait();
    INFO(file_bytes(dir.file("capture.err")) + controller->log());
    REQUIRE(exit_code == 0);
    CHECK(link.connections() >= 3);  // it came back after the cut and after the restart
    CHECK(at_kill > at_cut);
    CHECK_FALSE(fs::exists(upload));
    const std::string archive = upload.substr(0, upload.size() - std::string(".upload").size());
    REQUIRE(fs::exists(archive));
    CHECK(restored_digest(dir, archive, fs::file_size(disk), "restored.img") == file_digest(disk));
    // Committed: the same URL takes no second archive.
    const RunResult again = run(dagda_command() + " tib capture --disk " + sh_quote(disk) + " " + sh_quote(url) + " --pin " + pin + " --progress none");
    CHECK(again.exit_code != 0);
    CHECK_THAT(again.err, Catch::Contains("holds this archive already"));
}

TEST_CASE("controller: uploads not granted, out of place, incomplete or not an archive are refused and never named",
          "[controller][integration][upload]") {
    REQUIRE(controller_tools_present());
    TempDir dir;
    const std::string archives = dir.file("archives");
    fs::create_directories(archives);
    const std::string disk = make_source_disk(dir, dir.file("local.tib"));
    ControllerProcess controller(dir, dir.file("controller"), 0, archives);
    const std::string job = queued_backup(dir, controller, disk);
    const std::string url = capture_step(controller, job)["output"];
    std::smatch parts;
    REQUIRE(std::regex_match(url, parts, std::regex(R"((https://[^/]+/uploads/)([0-9a-f]{64})/srv01/(.+))")));
    const std::string base = parts[1], key = parts[2], file = parts[3];
    const std::string junk = dir.file("junk");
    write_file(junk, std::string(100000, 'x'));

    // Another key, another file, another folder, a climb out: refused before the body is read.
    std::string other_key = key;
    other_key[0] = other_key[0] == 'a' ? 'b' : 'a';
    for (const std::string& wrong : {base + other_key + "/srv01/" + file, base + key + "/srv01/other.tib", base + key + "/srv02/" + file,
                                      base + key + "/srv01/..%2F..%2Fescape.tib", base + key + "/srv01"}) {
        INFO(wrong);
        CHECK(upload_call(dir, controller, "PUT", wrong, junk, "Upload-Offset: 0")["status"] == 403);
    }
    CHECK(upload_call(dir, controller, "DELETE", url)["status"] == 405);
    CHECK_FALSE(fs::exists(archives + "/srv02"));

    // A piece goes where the upload ends (or at 0, to start over); anything else says where that is.
    CHECK(upload_call(dir, controller, "PUT", url, junk)["status"] == 400);  // no offset
    nlohmann::json answer = upload_call(dir, controller, "PUT", url, junk, "Upload-Offset: 0");
    CHECK(answer["status"] == 200);
    CHECK(answer["body"]["received"] == 100000);
    answer = upload_call(dir, controller, "PUT", url, junk, "Upload-Offset: 5");
    CHECK(answer["status"] == 409);
    CHECK(answer["body"]["received"] == 100000);
    const nlohmann::json state = upload_call(dir, controller, "GET", url)["body"];
    CHECK(state["state"] == "receiving");
    CHECK(keys_of(state) == keys_of(api_example("upload-state-response")));

    // A commit of another size is refused (the documented one, of a larger upload); of garbage,
    // verified and refused, and the upload removed.
    write_file(dir.file("commit-example"), api_example("upload-commit-request").dump());
    CHECK(upload_call(dir, controller, "POST", url, dir.file("commit-example"))["status"] == 409);
    const std::string digest(64, 'a');
    write_file(dir.file("commit-wrong"), nlohmann::json{{"size", 99}, {"digest", digest}}.dump());
    CHECK(upload_call(dir, controller, "POST", url, dir.file("commit-wrong"))["status"] == 409);
    write_file(dir.file("commit-bad"), "{\"size\": \"lots\"}");
    CHECK(upload_call(dir, controller, "POST", url, dir.file("commit-bad"))["status"] == 400);
    write_file(dir.file("commit"), nlohmann::json{{"size", 100000}, {"digest", digest}}.dump());
    CHECK(upload_call(dir, controller, "POST", url, dir.file("commit"))["status"] == 202);
    nlohmann::json status;
    REQUIRE(eventually([&] {
        status = upload_call(dir, controller, "GET", url)["body"];
        return status["state"] != "verifying";
    }, 30));
    CHECK(status["state"] == "failed");
    CHECK_THAT(status["reason"].get<std::string>(), Catch::Contains("does not verify"));
    CHECK_FALSE(fs::exists(archives + "/srv01/" + file));
    CHECK_FALSE(fs::exists(archives + "/srv01/" + file + ".upload"));

    // A real archive whose digest is not the one the commit names is refused too.
    const std::string volume = dir.file("volume.img");
    write_file(volume, std::string(1 << 20, 'v'));
    const std::string local = dir.file("small.tib");
    REQUIRE(run(dagda_command() + " tib capture --volume " + sh_quote(volume) + " " + sh_quote(local) + " --progress none").exit_code == 0);
    const RunResult sent = run("curl -sS --max-time 20 --cacert " + sh_quote(controller.ca_file()) + " -o /dev/null -w '%{http_code}' -X PUT -H 'Upload-Offset: 0' --data-binary @" +
                               sh_quote(local) + " " + sh_quote(url));
    CHECK(sent.out == "200");
    write_file(dir.file("commit-local"), nlohmann::json{{"size", fs::file_size(local)}, {"digest", digest}}.dump());
    CHECK(upload_call(dir, controller, "POST", url, dir.file("commit-local"))["status"] == 202);
    REQUIRE(eventually([&] {
        status = upload_call(dir, controller, "GET", url)["body"];
        return status["state"] != "verifying";
    }, 30));
    CHECK(status["state"] == "failed");
    CHECK_THAT(status["reason"].get<std::string>(), Catch::Contains("not " + digest));
    CHECK_FALSE(fs::exists(archives + "/srv01/" + file));

    // Once the job has ended, its URL uploads nothing.
    CHECK(upload_call(dir, controller, "PUT", url, junk, "Upload-Offset: 0")["status"] == 200);
    CHECK(controller.api("POST", "/api/jobs/" + job + "/cancel")["status"] == 202);
    CHECK(upload_call(dir, controller, "PUT", url, junk, "Upload-Offset: 0")["status"] == 403);
    CHECK(upload_call(dir, controller, "GET", url)["status"] == 403);
}

namespace {

/// Uploads `archive` whole at `url`, commits it under its own generation digest, and returns the
/// state the verification ends in.
nlohmann::json upload_and_commit(const TempDir& dir, const ControllerProcess& controller, const std::string& url, const std::string& archive) {
    const RunResult info = run(dagda_command() + " tib info " + sh_quote(archive) + " --json");
    REQUIRE(info.exit_code == 0);
    const std::string digest = nlohmann::json::parse(info.out)["generation_digest"];
    // In pieces of 8 MiB, as the agent sends them (a piece is at most 16 MiB).
    const std::string bytes = file_bytes(archive);
    for (std::size_t offset = 0; offset < bytes.size(); offset += 8 << 20) {
        write_file(dir.file("piece"), bytes.substr(offset, 8 << 20));
        REQUIRE(upload_call(dir, controller, "PUT", url, dir.file("piece"), "Upload-Offset: " + std::to_string(offset))["status"] == 200);
    }
    write_file(dir.file("commit-whole"), nlohmann::json{{"size", fs::file_size(archive)}, {"digest", digest}}.dump());
    CHECK(upload_call(dir, controller, "POST", url, dir.file("commit-whole"))["status"] == 202);
    nlohmann::json status;
    REQUIRE(eventually([&] {
        status = upload_call(dir, controller, "GET", url)["body"];
        return status["state"] != "verifying";
    }, 60));
    return status;
}

}  // namespace

TEST_CASE("controller: an upload on another base than its job planned is refused, however sound the archive",
          "[controller][integration][upload]") {
    REQUIRE(controller_tools_present());
    TempDir dir;
    const std::string archives = dir.file("archives");
    const std::string folder = archives + "/srv01";
    fs::create_directories(folder);
    // srv01's chain: a full backup and an incremental on it, so the next backup goes on the second.
    const std::string disk = make_source_disk(dir, folder + "/a-full.tib");
    const auto capture = [&](const std::string& archive, const std::string& base) {
        const RunResult made = run(dagda_command() + " tib capture --disk " + sh_quote(disk) + " " + sh_quote(archive) +
                                   (base.empty() ? "" : " --base " + sh_quote(base)) + " --progress none");
        INFO(made.err);
        REQUIRE(made.exit_code == 0);
    };
    scribble(disk, 3 << 20, 1 << 20, 21);
    capture(folder + "/a-inc.tib", folder + "/a-full.tib");
    scribble(disk, 5 << 20, 1 << 20, 22);
    ControllerProcess controller(dir, dir.file("controller"), 0, archives);
    const std::string job = queued_backup(dir, controller, disk);
    const std::string url = capture_step(controller, job)["output"];
    const std::string file = url.substr(url.rfind('/') + 1);
    CHECK_THAT(capture_step(controller, job)["base"].get<std::string>(), Catch::EndsWith("/srv01/a-inc.tib"));

    // Sound archives, each verified whole, but not the generation this job makes: refused, never named.
    capture(dir.file("on-older.tib"), folder + "/a-full.tib");  // on the chain's older generation
    nlohmann::json status = upload_and_commit(dir, controller, url, dir.file("on-older.tib"));
    CHECK(status["state"] == "failed");
    CHECK_THAT(status["reason"].get<std::string>(), Catch::Contains("not on srv01/a-inc.tib") && Catch::Contains("as its job planned"));
    capture(dir.file("full.tib"), "");
    status = upload_and_commit(dir, controller, url, dir.file("full.tib"));
    CHECK(status["state"] == "failed");
    CHECK_THAT(status["reason"].get<std::string>(), Catch::Contains("incrementally on srv01/a-inc.tib") && Catch::Contains("a full backup"));
    CHECK_FALSE(fs::exists(folder + "/" + file));

    // The generation it planned is committed by the same URL.
    capture(dir.file("on-newest.tib"), folder + "/a-inc.tib");
    status = upload_and_commit(dir, controller, url, dir.file("on-newest.tib"));
    CHECK(status["state"] == "committed");
    CHECK(fs::exists(folder + "/" + file));
    CHECK(controller.api("POST", "/api/jobs/" + job + "/cancel")["status"] == 202);

    // A job asked for a full backup takes no incremental.
    const std::string agent_id = controller.api("GET", "/api/agents")["body"]["agents"][0]["id"];
    const nlohmann::json full_job = controller.api("POST", "/api/jobs", {{"agent", agent_id}, {"backup", {{"server", "srv01"}, {"full", true}}}});
    REQUIRE(full_job["status"] == 201);
    const std::string full_url = capture_step(controller, full_job["body"]["id"])["output"];
    status = upload_and_commit(dir, controller, full_url, dir.file("on-older.tib"));
    CHECK(status["state"] == "failed");
    CHECK_THAT(status["reason"].get<std::string>(), Catch::Contains("backs up in full, but the archive is an incremental on a-full.tib"));
    CHECK(upload_and_commit(dir, controller, full_url, dir.file("full.tib"))["state"] == "committed");
}
