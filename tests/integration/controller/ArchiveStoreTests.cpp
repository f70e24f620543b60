// The archive store in a bucket (docs/archive-store.md), against a real S3 store: Ceph's RADOS
// gateway on 127.0.0.1 (tests/common/rgw-sandbox). A recovery from a generation in the bucket
// ends byte-identical to one from the archive folder, and the agent reads it from the store.

#include "common/RgwSandbox.hpp"
#include "common/Run.hpp"
#include "integration/controller/ControllerFixture.hpp"
#include "controller/ArchiveStore.hpp"
#include "objectstore/S3Client.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

using namespace dagda::testing;
namespace fs = std::filesystem;

namespace {

/// Overwrites `length` bytes of `image` at `offset` with a pattern of `seed`.
void scribble(const std::string& image, std::uint64_t offset, std::size_t length, char seed) {
    std::string bytes(length, '\0');
    for (std::size_t i = 0; i < length; ++i) bytes[i] = static_cast<char>(seed + static_cast<char>(i * 31));
    std::fstream file(image, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(offset));
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// Runs a recover job of `recover` on a new agent of `controller` with a blank disk of its own;
/// returns the job's plan, and the disk's path in `disk`.
nlohmann::json recover(const TempDir& dir, const ControllerProcess& controller, const std::string& name, const nlohmann::json& recover_order,
                       std::string& disk) {
    disk = make_image(dir, name + ".img", 48ull << 20);
    AgentProcess agent(dir, {name, controller.enrol(name), disk, "machine-" + name, controller.port(), controller.pin(), ""});
    std::string agent_id;
    REQUIRE(eventually([&] {
        const nlohmann::json agents = controller.api("GET", "/api/agents")["body"]["agents"];
        for (const auto& a : agents)
            if (a.value("enrolment", "") == name && a.value("connected", false)) agent_id = a["id"];
        return !agent_id.empty();
    }, 30));
    const nlohmann::json submitted = controller.api("POST", "/api/jobs", {{"agent", agent_id}, {"recover", recover_order}});
    INFO(submitted.dump());
    REQUIRE(submitted["status"] == 201);
    const std::string job = submitted["body"]["id"];
    const bool finished = eventually([&] { return controller.job_state(job) == "succeeded" || controller.job_state(job) == "failed"; }, 120);
    INFO(agent.log() + controller.log());
    REQUIRE(finished);
    REQUIRE(controller.job_state(job) == "succeeded");
    return controller.api("GET", "/api/jobs/" + job)["body"]["plan"];
}

}  // namespace

TEST_CASE("archive store: a recovery from a bucket's incremental generation equals one from the folder, read from the store by the agent",
          "[controller][integration][objectstore][rgw]") {
    if (!controller_tools_present()) FAIL("missing: curl or sfdisk");
    TempDir dir;
    const std::string folder = dir.file("archives");
    fs::create_directories(folder + "/srv01");
    // Generation 1, then 2 MiB of the partition changed and generation 2 on it.
    const std::string source = make_source_disk(dir, folder + "/srv01/g1.tib");
    const std::string first_data = file_range(source, 1 << 20, 40 << 20);
    scribble(source, 12 << 20, 2 << 20, 'x');
    const RunResult captured = run(dagda_command() + " tib capture --disk " + sh_quote(source) + " " + sh_quote(folder + "/srv01/g2.tib") + " --base " +
                                   sh_quote(folder + "/srv01/g1.tib") + " --progress none");
    REQUIRE(captured.exit_code == 0);

    RgwSandbox store;
    const std::string settings = store.settings_file(dir, "dagda-site", "archives/");
    {
        dagda::objectstore::S3Client client(dagda::objectstore::read_bucket_settings(settings));
        client.create_bucket();
        for (const std::string file : {"g1.tib", "g2.tib"}) {
            const std::string bytes = file_bytes(folder + "/srv01/" + file);
            client.put("srv01/" + file, bytes.data(), bytes.size());
        }
    }

    std::string from_folder, from_bucket, first_from_bucket;
    {
        ControllerProcess controller(dir, dir.file("controller-folder"), 0, folder);
        recover(dir, controller, "a", {{"archive", "srv01/g2.tib"}}, from_folder);
    }
    ControllerProcess controller(dir, dir.file("controller-bucket"), 0, "", {"--archive-store", settings});
    // Listed from the bucket as from a folder: one chain of two generations.
    const nlohmann::json servers = controller.api("GET", "/api/servers")["body"];
    INFO(servers.dump());
    REQUIRE(servers["servers"].size() == 1);
    CHECK(servers["store"] == "bucket");
    const nlohmann::json& chain = servers["servers"][0]["chains"][0];
    REQUIRE(chain["generations"].size() == 2);
    CHECK(chain["generations"][1]["file"] == "g2.tib");
    CHECK(chain["generations"][1]["kind"] == "incremental");
    CHECK(servers["servers"][0]["generations"] == 2);

    const nlohmann::json plan = recover(dir, controller, "b", {{"archive", "srv01/g2.tib"}}, from_bucket);
    CHECK(file_digest(from_bucket) == file_digest(from_folder));
    CHECK(file_range(from_bucket, 1 << 20, 40 << 20) == file_range(source, 1 << 20, 40 << 20));
    // The agent read the store: the plan names its objects by pre-signed URLs, both of the chain's
    // files and nothing of the controller's.
    INFO(plan.dump(2));
    REQUIRE(plan["archive_urls"].size() == 2);
    for (const auto& url : plan["archive_urls"]) CHECK(url.get<std::string>().rfind(store.endpoint() + "/dagda-site/archives/srv01/g", 0) == 0);
    CHECK(plan.dump().find(controller.url()) == std::string::npos);
    CHECK(plan.dump().find(store.secret_key()) == std::string::npos);

    // Generation 1 of that chain: only its own object is handed out.
    const nlohmann::json older = recover(dir, controller, "c", {{"archive", "srv01/g2.tib"}, {"generation", 1}}, first_from_bucket);
    CHECK(older["archive_urls"].size() == 1);
    CHECK(file_range(first_from_bucket, 1 << 20, 40 << 20) == first_data);
}

TEST_CASE("archive store: backups made through the controller go into the bucket whole, the second an incremental read from it",
          "[controller][integration][objectstore][rgw][upload]") {
    if (!controller_tools_present()) FAIL("missing: curl or sfdisk");
    TempDir dir;
    const std::string disk = make_source_disk(dir, dir.file("local.tib"));
    RgwSandbox store;
    const std::string settings = store.settings_file(dir, "dagda-backups");
    // An archive staged and verified when an earlier run stopped goes into the bucket at start.
    const std::string staged = dir.file("controller") + "/staging/old";
    fs::create_directories(staged);
    fs::copy_file(dir.file("local.tib"), staged + "/20260101T000000Z.tib");
    ControllerProcess controller(dir, dir.file("controller"), 0, "", {"--archive-store", settings});
    AgentProcess agent(dir, {"srv01", controller.enrol("srv01"), disk, "machine-a", controller.port(), controller.pin(), ""});
    const std::string agent_id = only_agent_id(controller);
    dagda::objectstore::S3Client client(dagda::objectstore::read_bucket_settings(settings));
    CHECK(eventually([&] { return client.size_of("old/20260101T000000Z.tib") == fs::file_size(dir.file("local.tib")); }, 30));
    CHECK(eventually([&] { return !fs::exists(staged + "/20260101T000000Z.tib"); }, 10));

    const auto backup = [&] {
        const nlohmann::json queued = controller.api("POST", "/api/jobs", {{"agent", agent_id}, {"backup", {{"server", "srv01"}}}});
        INFO(queued.dump());
        REQUIRE(queued["status"] == 201);
        const std::string job = queued["body"]["id"];
        const bool done = eventually([&] { return controller.job_state(job) == "succeeded" || controller.job_state(job) == "failed"; }, 120);
        INFO(agent.log() + controller.log());
        INFO(controller.api("GET", "/api/jobs/" + job).dump());
        REQUIRE(done);
        REQUIRE(controller.job_state(job) == "succeeded");
        return controller.api("GET", "/api/jobs/" + job)["body"]["plan"];
    };
    backup();
    const std::string first_digest = file_digest(disk);
    scribble(disk, 20 << 20, 1 << 20, 'y');
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // generation names are by the second
    const nlohmann::json second = backup();
    // The incremental read its base from the bucket, through the job's pre-signed URLs.
    INFO(second.dump(2));
    REQUIRE(second["archive_urls"].size() == 1);
    CHECK(second["steps"][0]["base"].get<std::string>().rfind(store.endpoint() + "/dagda-backups/srv01/", 0) == 0);

    const auto objects = client.list("srv01/");
    REQUIRE(objects.size() == 2);
    CHECK(client.uploads("").empty());  // nothing left half-uploaded
    CHECK(fs::is_empty(dir.file("controller") + "/staging/srv01"));  // the staged copies are gone
    const nlohmann::json servers = controller.api("GET", "/api/servers/srv01")["body"];
    INFO(servers.dump());
    REQUIRE(servers["chains"].size() == 1);
    CHECK(servers["chains"][0]["generations"].size() == 2);
    CHECK(servers["chains"][0]["generations"][1]["kind"] == "incremental");
    CHECK(objects[1].size < (4u << 20));  // 1 MiB changed of 40

    // Each generation, recovered from the bucket, is the disk as it was backed up.
    std::string restored;
    const std::string newest = servers["chains"][0]["newest"];
    recover(dir, controller, "check-2", {{"archive", "srv01/" + newest}}, restored);
    CHECK(file_range(restored, 1 << 20, 40 << 20) == file_range(disk, 1 << 20, 40 << 20));
    (void)first_digest;
}

TEST_CASE("archive store: an upload into the bucket cut midway resumes, keeping the parts the store holds whole",
          "[controller][integration][objectstore][rgw]") {
    TempDir dir;
    RgwSandbox store;
    const std::string settings = store.settings_file(dir, "dagda-resume");
    const auto bucket = dagda::controller::make_bucket_store(dagda::objectstore::read_bucket_settings(settings));
    // 150 MiB: parts of 64, 64 and 22 MiB.
    std::string bytes(150u << 20, '\0');
    std::mt19937_64 random(17);
    for (std::size_t i = 0; i + 8 <= bytes.size(); i += 8) {
        const std::uint64_t value = random();
        std::memcpy(bytes.data() + i, &value, 8);
    }
    write_file(dir.file("g1.tib"), bytes);
    // An earlier attempt: part 1 whole, part 2 of the right size but not these bytes (torn).
    dagda::objectstore::S3Client client(dagda::objectstore::read_bucket_settings(settings));
    const std::string id = client.start_upload("srv01/g1.tib");
    client.upload_part("srv01/g1.tib", id, 1, bytes.data(), 64u << 20);
    const std::string torn(64u << 20, 'x');
    client.upload_part("srv01/g1.tib", id, 2, torn.data(), torn.size());

    const std::atomic<bool> never{false};
    CHECK(bucket->put_file("srv01/g1.tib", dir.file("g1.tib"), never) == 2);  // parts 2 and 3 sent; part 1 kept
    CHECK(client.uploads("").empty());
    REQUIRE(client.size_of("srv01/g1.tib") == bytes.size());
    for (const std::uint64_t at : {0ull, (64ull << 20) + 5, (140ull << 20)}) {
        const auto piece = client.read("srv01/g1.tib", at, 4096);
        CHECK(std::string(piece.begin(), piece.end()) == bytes.substr(at, 4096));
    }
    CHECK(bucket->size_in("srv01/g1.tib") == bytes.size());
    CHECK_FALSE(bucket->size_in("srv01/g2.tib").has_value());
}
