// `recover` jobs: the controller makes the whole-server plan from a real TIB chain captured by
// `dagda tib capture` into its archive folder, onto a disk of the agent's real inventory. The plan
// is the one `dagda plan from-archive` writes at the machine, except that it names the archive by
// the controller's URL; and every way to name a wrong archive or disk is refused.

#include "ApiTestBench.hpp"

#include "common/Run.hpp"
#include "common/WindowsVolume.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>

using namespace dagda::testing;
using dagda::controller::ApiResponse;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

/// `dagda tib capture --KIND SOURCE ARCHIVE EXTRA` (kind: disk or volume).
void capture(const std::string& kind, const std::string& source, const std::string& archive, const std::string& extra = "") {
    const RunResult captured =
        run(dagda_command() + " tib capture --" + kind + " " + sh_quote(source) + " " + sh_quote(archive) + " " + extra + " --progress none");
    INFO(captured.err);
    REQUIRE(captured.exit_code == 0);
}

/// Queues a recovery; a job that was queued is ended at once so the agent can take the next.
ApiResponse recover(ApiTestBench& bench, const std::string& agent, const json& request) {
    const ApiResponse answer = bench.call("POST", "/api/jobs", json{{"agent", agent}, {"recover", request}}.dump());
    if (answer.status == 201) bench.store.set_job_state(answer.body["id"].get<std::string>(), "cancelled", 101);
    return answer;
}

json plan_of(ApiTestBench& bench, const ApiResponse& created) {
    REQUIRE(created.status == 201);
    return bench.store.job(created.body["id"].get<std::string>())->plan;
}

std::string refusal_of(const ApiResponse& answer) {
    CHECK(answer.status == 400);
    CHECK(answer.body["error"] == "bad_request");
    return answer.body["message"].get<std::string>();
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) text.replace(at, from.size(), to);
    return text;
}

/// Whether `url` is a job's URL of the archive file `name`: the files URL, a grant key of 64 hex
/// digits, the name. Returns the key ("" when it is not).
std::string grant_key_of(const json& url, const std::string& name) {
    const std::regex form(std::string(ApiTestBench::files_url) + "/([0-9a-f]{64})/" + name);
    std::smatch match;
    const std::string text = url.is_string() ? url.get<std::string>() : "";
    return std::regex_match(text, match, form) ? match[1].str() : "";
}

/// A 32 MiB disk with one Linux partition: a disk archive with no NTFS, for the refusals.
std::string plain_disk(const ApiTestBench& bench, const std::string& name) {
    const std::string disk = bench.image(name, 32ull << 20);
    REQUIRE(run("printf 'label: dos\\nstart=2048, size=16384, type=83\\n' | sfdisk -q " + sh_quote(disk)).exit_code == 0);
    return disk;
}

}  // namespace

TEST_CASE("Api: recover writes the plan of plan from-archive naming the archive by its URL", "[controller][api][recover]") {
    ApiTestBench bench;
    if (!windows_tools_present(bench.dir) || !have_program("sfdisk")) FAIL("missing: hivexregedit, mkntfs, sfdisk or ../shared/fixtures");
    // Monday's full backup and Tuesday's incremental one, side by side in the archive folder.
    const std::string source = make_windows_disk(bench.dir, "source.img");
    REQUIRE_FALSE(source.empty());
    const std::string monday = bench.archives() + "/monday.tib", tuesday = bench.archives() + "/tuesday.tib";
    capture("disk", source, monday);
    capture("disk", source, tuesday, "--base " + sh_quote(monday));
    const std::string target = bench.image("target.img", 300ull << 20);
    const std::string agent = bench.admit("srv01", bench.inventory_of({target}));

    const json plan = plan_of(bench, recover(bench, agent, {{"archive", "tuesday.tib"}, {"for", {"virtio-blk"}}, {"drivers", "/srv/drivers"}}));
    const RunResult local = run(dagda_command() + " plan from-archive " + sh_quote(tuesday) + " --to " + sh_quote(target) +
                                " --for virtio-blk --drivers /srv/drivers");
    INFO(local.err);
    REQUIRE(local.exit_code == 0);
    const std::string url = plan["steps"][1]["archive"];
    CHECK_FALSE(grant_key_of(url, "tuesday\\.tib").empty());
    CHECK(plan == json::parse(replaced(local.out, fs::absolute(tuesday).string(), url)));
    REQUIRE(plan["steps"].size() == 4);
    CHECK(plan["steps"][0]["layout"]["archive"] == url);
    CHECK(plan["steps"][2] == json{{"step", "windows.inoculate"}, {"disk", "target"}, {"for", {"virtio-blk"}}, {"drivers", "/srv/drivers"}});
    CHECK(plan["disks"]["target"] == json{{"path", target}, {"size", 300ull << 20}});
    CHECK(bench.hooks.submitted.size() == 1);

    // Without "for", the agent inoculates for its own controllers; generation 1 is Monday's file.
    const json first = plan_of(bench, recover(bench, agent, {{"archive", "tuesday.tib"}, {"generation", 1}}));
    CHECK_FALSE(grant_key_of(first["steps"][1]["archive"], "monday\\.tib").empty());
    CHECK(first["steps"][2] == json{{"step", "windows.inoculate"}, {"disk", "target"}, {"auto", true}});
    CHECK_FALSE(grant_key_of(plan_of(bench, recover(bench, agent, {{"archive", "tuesday.tib"}, {"generation", 2}}))["steps"][1]["archive"],
                             "tuesday\\.tib").empty());
    CHECK_THAT(refusal_of(recover(bench, agent, {{"archive", "tuesday.tib"}, {"generation", 3}})), Catch::Contains("must be 1 to 2"));
}

TEST_CASE("Api: recover refuses archives outside its folder and disks it cannot name", "[controller][api][recover]") {
    ApiTestBench bench;
    if (!have_program("sfdisk")) FAIL("missing: sfdisk");
    capture("disk", plain_disk(bench, "plain.img"), bench.archives() + "/plain.tib");
    capture("volume", bench.image("volume.img", 8ull << 20), bench.archives() + "/volume.tib");
    const std::string one = bench.image("one.img", 64ull << 20), two = bench.image("two.img", 64ull << 20);
    const std::string agent = bench.admit("srv01", bench.inventory_of({one}));

    const json plan = plan_of(bench, recover(bench, agent, {{"archive", "plain.tib"}}));
    CHECK(plan["disks"]["target"]["path"] == one);
    REQUIRE(plan["steps"].size() == 2);  // no NTFS: no inoculation and no boot fix-up
    CHECK_FALSE(grant_key_of(plan["steps"][1]["archive"], "plain\\.tib").empty());

    const std::vector<std::pair<json, std::string>> cases{
        {{{"archive", "../plain.tib"}}, "FILE or SERVER/FILE"},
        {{{"archive", "/etc/passwd"}}, "FILE or SERVER/FILE"},
        {{{"archive", "a/b/plain.tib"}}, "FILE or SERVER/FILE"},
        {{{"archive", "srv01/../plain.tib"}}, "FILE or SERVER/FILE"},
        {{{"archive", "sub/plain.tib"}}, "no archive \"sub/plain.tib\""},
        {{{"archive", ".."}}, "FILE or SERVER/FILE"},
        {{{"archive", ""}}, "FILE or SERVER/FILE"},
        {{{"archive", 7}}, "needs an \"archive\""},
        {json::object(), "needs an \"archive\""},
        {{{"archive", "missing.tib"}}, "no archive \"missing.tib\""},
        {{{"archive", "volume.tib"}}, "holds a volume, not a disk"},
        {{{"archive", "plain.tib"}, {"generation", 0}}, "\"generation\" must be"},
        {{{"archive", "plain.tib"}, {"generation", "1"}}, "\"generation\" must be"},
        {{{"archive", "plain.tib"}, {"generation", 2}}, "must be 1 to 1"},
        {{{"archive", "plain.tib"}, {"for", "virtio-scsi"}}, "\"for\" must be"},
        {{{"archive", "plain.tib"}, {"for", json::array()}}, "\"for\" must be"},
        {{{"archive", "plain.tib"}, {"drivers", 5}}, "\"drivers\" must be"},
        {{{"archive", "plain.tib"}, {"disk", ""}}, "\"disk\" must be"},
        {{{"archive", "plain.tib"}, {"disk", "/dev/sdz"}}, "has no disk /dev/sdz"},
        {{{"archive", "plain.tib"}, {"target", one}}, "unknown key \"target\""},
    };
    for (const auto& [request, message] : cases) {
        INFO(request.dump());
        CHECK_THAT(refusal_of(recover(bench, agent, request)), Catch::Contains(message));
    }

    // A server's generation, in its folder: the grant and the URL name SERVER/FILE. A dry run
    // answers with the same plan and queues nothing.
    fs::create_directories(bench.archives() + "/srv01");
    fs::copy_file(bench.archives() + "/plain.tib", bench.archives() + "/srv01/plain.tib");
    const ApiResponse queued = bench.call("POST", "/api/jobs", json{{"agent", agent}, {"recover", {{"archive", "srv01/plain.tib"}}}}.dump());
    const std::string key = grant_key_of(plan_of(bench, queued)["steps"][1]["archive"], "srv01/plain\\.tib");
    CHECK_FALSE(key.empty());
    CHECK(bench.store.file_granted(key, "srv01/plain.tib"));
    CHECK_FALSE(bench.store.file_granted(key, "plain.tib"));
    // A console viewer sees the plan without the key (its URLs would read the backup meanwhile).
    const std::string job = queued.body["id"];
    const ApiResponse seen = bench.api.handle({"GET", "/api/jobs/" + job, "", "", true, true}, 100);
    CHECK(seen.body["plan"]["steps"][1]["archive"] == std::string(ApiTestBench::files_url) + "/hidden/srv01/plain.tib");
    INFO(seen.body.dump());
    CHECK(seen.body.dump().find(key) == std::string::npos);
    CHECK(bench.call("GET", "/api/jobs/" + job).body.dump().find(key) != std::string::npos);  // the operator's token sees it
    bench.store.set_job_state(queued.body["id"].get<std::string>(), "cancelled", 101);
    const std::size_t submitted = bench.hooks.submitted.size();
    const ApiResponse dry = bench.call("POST", "/api/jobs", json{{"agent", agent}, {"recover", {{"archive", "srv01/plain.tib"}}}, {"dry_run", true}}.dump());
    CHECK(dry.status == 200);
    CHECK(dry.body["dry_run"] == true);
    CHECK(dry.body["plan"]["steps"].size() == 2);
    CHECK(bench.hooks.submitted.size() == submitted);
    CHECK(bench.call("POST", "/api/jobs", json{{"agent", agent}, {"recover", {{"archive", "plain.tib"}}}, {"dry_run", "yes"}}.dump()).status == 400);

    // An agent with two disks must be told which one.
    const std::string pair = bench.admit("srv02", bench.inventory_of({one, two}));
    CHECK_THAT(refusal_of(recover(bench, pair, {{"archive", "plain.tib"}})), Catch::Contains("has 2 disks") && Catch::Contains(two));
    CHECK(plan_of(bench, recover(bench, pair, {{"archive", "plain.tib"}, {"disk", two}}))["disks"]["target"]["path"] == two);

    // A controller without an archive folder plans no recovery.
    dagda::controller::Api bare(bench.store, bench.hooks, {ApiTestBench::token, "", "", "", ""});
    const ApiResponse answer = bare.handle({"POST", "/api/jobs", std::string("Bearer ") + ApiTestBench::token,
                                            json{{"agent", agent}, {"recover", {{"archive", "plain.tib"}}}}.dump()},
                                           100);
    CHECK_THAT(refusal_of(answer), Catch::Contains("serves no archive folder"));
}

TEST_CASE("Api: recover names a block device by serial or WWN or by-path and never by its dev name", "[controller][api][recover]") {
    ApiTestBench bench;
    if (!have_program("sfdisk")) FAIL("missing: sfdisk");
    capture("disk", plain_disk(bench, "plain.img"), bench.archives() + "/plain.tib");
    // The real inventory of an image file, reported the way a block device is (docs/inventory.md).
    json inventory = bench.inventory_of({bench.image("disk.img", 64ull << 20)});
    json& disk = inventory["disks"][0];
    disk["path"] = "/dev/sdb";
    disk["kind"] = "block";
    disk["model"] = "Samsung SSD 860";
    disk["serial"] = "S4EWNX0R123456";
    disk["wwn"] = "0x5002538e40a1b2c3";
    disk["by_id"] = {"ata-Samsung_SSD_860_S4EWNX0R123456"};
    disk["by_path"] = {"pci-0000:00:1f.2-ata-2", "pci-0000:00:1f.2-ata-2.0"};
    inventory["disks"].push_back({{"path", "/dev/sdc"}, {"error", "cannot open /dev/sdc: Input/output error"}});
    inventory["disks"].push_back({{"path", "/dev/sdd"}, {"kind", "block"}, {"serial", "USB-STICK-1"}, {"size_bytes", 8000000000ull},
                                  {"by_path", {"pci-0000:00:14.0-usb-0:1:1.0-scsi-0:0:0:0"}}, {"boot_medium", true}});
    const std::string agent = bench.admit("srv01", inventory);

    // Neither the unreadable disk nor the stick the agent booted from counts: /dev/sdb is the only
    // one, found by any of its names.
    const json expected{{"serial", "S4EWNX0R123456"}, {"wwn", "0x5002538e40a1b2c3"}, {"by_path", "pci-0000:00:1f.2-ata-2"},
                        {"model", "Samsung SSD 860"}, {"size", 64ull << 20}};
    for (const std::string choice : {"", "/dev/sdb", "S4EWNX0R123456", "0x5002538e40a1b2c3", "/dev/disk/by-id/ata-Samsung_SSD_860_S4EWNX0R123456",
                                     "pci-0000:00:1f.2-ata-2.0"}) {
        INFO("disk " << choice);
        json request{{"archive", "plain.tib"}};
        if (!choice.empty()) request["disk"] = choice;
        const json plan = plan_of(bench, recover(bench, agent, request));
        CHECK(plan["disks"]["target"] == expected);
        CHECK_THAT(plan["name"].get<std::string>(), Catch::Contains("onto /dev/sdb (Samsung SSD 860, serial S4EWNX0R123456"));
    }
    CHECK_THAT(refusal_of(recover(bench, agent, {{"archive", "plain.tib"}, {"disk", "/dev/sdc"}})), Catch::Contains("could not read the disk /dev/sdc"));
    CHECK_THAT(refusal_of(recover(bench, agent, {{"archive", "plain.tib"}, {"disk", "USB-STICK-1"}})),
               Catch::Contains("USB-STICK-1 is the Dagda boot medium"));

    // Without serial, WWN or by-path name only /dev/sdb would be left, which moves between boots.
    json& same = inventory["disks"][0];  // `disk` went stale when the unreadable disk was added
    same["serial"] = nullptr;
    same["wwn"] = nullptr;
    same["by_path"] = json::array();
    const std::string anonymous = bench.admit("srv02", inventory);
    CHECK_THAT(refusal_of(recover(bench, anonymous, {{"archive", "plain.tib"}})), Catch::Contains("has no serial, WWN or by-path name"));
}

TEST_CASE("Api: a recover job's key reads its own generation chain, only while the job runs", "[controller][api][recover][grant]") {
    ApiTestBench bench;
    REQUIRE(have_program("sfdisk"));
    const std::string source = plain_disk(bench, "plain.img");
    capture("disk", source, bench.archives() + "/monday.tib");
    capture("disk", source, bench.archives() + "/tuesday.tib", "--base " + sh_quote(bench.archives() + "/monday.tib"));
    capture("disk", plain_disk(bench, "other.img"), bench.archives() + "/other.tib");
    const std::string agent = bench.admit("srv01", bench.inventory_of({bench.image("one.img", 64ull << 20)}));
    const std::string other_agent = bench.admit("srv02", bench.inventory_of({bench.image("two.img", 64ull << 20)}));

    const ApiResponse created = bench.call("POST", "/api/jobs", json{{"agent", agent}, {"recover", {{"archive", "tuesday.tib"}}}}.dump());
    REQUIRE(created.status == 201);
    const std::string job = created.body["id"];
    const std::string key = grant_key_of(bench.store.job(job)->plan["steps"][1]["archive"], "tuesday\\.tib");
    REQUIRE_FALSE(key.empty());
    CHECK(bench.store.file_granted(key, "tuesday.tib"));
    CHECK(bench.store.file_granted(key, "monday.tib"));  // its base, looked up beside it
    CHECK_FALSE(bench.store.file_granted(key, "other.tib"));
    CHECK_FALSE(bench.store.file_granted(key, "operator-token"));
    CHECK_FALSE(bench.store.file_granted(std::string(64, '0'), "tuesday.tib"));

    // Another job's key is its own: generation 1 reads Monday's file only.
    const ApiResponse second = bench.call("POST", "/api/jobs", json{{"agent", other_agent}, {"recover", {{"archive", "tuesday.tib"}, {"generation", 1}}}}.dump());
    REQUIRE(second.status == 201);
    const std::string other_key = grant_key_of(bench.store.job(second.body["id"].get<std::string>())->plan["steps"][1]["archive"], "monday\\.tib");
    REQUIRE_FALSE(other_key.empty());
    CHECK(other_key != key);
    CHECK(bench.store.file_granted(other_key, "monday.tib"));
    CHECK_FALSE(bench.store.file_granted(other_key, "tuesday.tib"));

    // The key expires with its job, whichever way the job ends.
    for (const char* state : {"offered", "running"}) {
        bench.store.set_job_state(job, state, 102);
        CHECK(bench.store.file_granted(key, "tuesday.tib"));
    }
    bench.store.set_job_state(job, "succeeded", 103);
    CHECK_FALSE(bench.store.file_granted(key, "tuesday.tib"));
    CHECK_FALSE(bench.store.file_granted(key, "monday.tib"));
    CHECK(bench.store.file_granted(other_key, "monday.tib"));
}

TEST_CASE("Api: recover refuses an archive that is a symbolic link out of the archive folder", "[controller][api][recover][symlink]") {
    ApiTestBench bench;
    REQUIRE(have_program("sfdisk"));
    const std::string outside = bench.dir.file("outside.tib");
    capture("disk", plain_disk(bench, "plain.img"), outside);
    fs::copy_file(outside, bench.archives() + "/inside.tib");
    fs::create_symlink(outside, bench.archives() + "/escape.tib");
    fs::create_symlink("../outside.tib", bench.archives() + "/climb.tib");
    fs::create_symlink("inside.tib", bench.archives() + "/alias.tib");  // stays inside: followed
    const std::string agent = bench.admit("srv01", bench.inventory_of({bench.image("one.img", 64ull << 20)}));

    CHECK_THAT(refusal_of(recover(bench, agent, {{"archive", "escape.tib"}})), Catch::Contains("leads outside"));
    CHECK_THAT(refusal_of(recover(bench, agent, {{"archive", "climb.tib"}})), Catch::Contains("leads outside"));
    CHECK_FALSE(grant_key_of(plan_of(bench, recover(bench, agent, {{"archive", "alias.tib"}}))["steps"][1]["archive"], "alias\\.tib").empty());
}
