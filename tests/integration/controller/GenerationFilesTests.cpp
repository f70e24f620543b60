// Issue 16, files of any generation through the controller: a folder's listing, a file's bytes
// and a folder as a zip or tar, each read from a server's generation in the archive folder and
// compared with what was written into the volume before each backup; names holding HTML, paths
// that climb, a viewer, a stranger and a corrupt archive (a download that is cut, never whole).

#include "ControllerFixture.hpp"

#include "common/RgwSandbox.hpp"
#include "common/Run.hpp"
#include "common/WindowsVolume.hpp"
#include "controller/ArchiveUrlsFile.hpp"
#include "objectstore/S3Client.hpp"
#include "core/UniqueFd.hpp"
#include "windows/ntfs/NtfsEditor.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>

#include <cctype>
#include <filesystem>

using namespace dagda::testing;
namespace fs = std::filesystem;

namespace {

const std::string documents = "/Users/ann/Documents";
const std::string html_name = "<img src=x onerror=alert(1)>.txt";

/// Replaces (or adds) one file of the NTFS volume image, as the server would between backups.
void put_file(const std::string& image, const std::string& path, const std::string& content) {
    const dagda::UniqueFd fd = dagda::UniqueFd::open(image, O_RDWR);
    dagda::windows::ntfs::NtfsVolume volume(fd.get(), 0, fs::file_size(image), "volume", dagda::windows::ntfs::Access::read_write);
    dagda::windows::ntfs::replace_file_safely(volume, path, {content.begin(), content.end()});
    volume.close();
}

struct Download {
    int curl_exit = 0;
    std::string status, headers, body;
};

Download download(const TempDir& dir, const ControllerProcess& controller, const std::string& target, const std::string& auth) {
    const RunResult got = run("curl -sS --max-time 60 --cacert " + sh_quote(controller.ca_file()) + " " + auth + " -o " + sh_quote(dir.file("download")) +
                              " -D " + sh_quote(dir.file("download-headers")) + " -w '%{http_code}' " + sh_quote(controller.url() + target));
    return {got.exit_code, got.out, file_bytes(dir.file("download-headers")), fs::exists(dir.file("download")) ? file_bytes(dir.file("download")) : ""};
}

}  // namespace

TEST_CASE("files of a generation: listed, downloaded as bytes, a zip and a tar, with climbing paths and strangers refused",
          "[controller][integration][console][ntfs]") {
    REQUIRE(controller_tools_present());
    REQUIRE(have_program("mkntfs"));
    REQUIRE(have_program("/usr/bin/python3"));  // an independent reader of the zip and tar
    TempDir dir;
    const std::string monday = random_bytes(3u << 20, 1), tuesday = random_bytes(2500000, 2);
    WindowsVolumeSpec spec;
    spec.size = 48ull << 20;
    spec.files = {{documents + "/report.bin", monday},
                  {documents + "/" + html_name, "a name holding HTML"},
                  {documents + "/sub/deep.txt", "deep down"},
                  {documents + "/\xc3\xbcnicode.txt", "utf-8 name"}};
    const std::string volume = make_windows_volume(dir, "volume.raw", spec);
    REQUIRE(!volume.empty());
    const std::string archives = dir.file("archives");
    fs::create_directories(archives + "/srv01");
    const std::string g1 = archives + "/srv01/g1.tib", g2 = archives + "/srv01/g2.tib";
    REQUIRE(run(dagda_command() + " tib capture --volume " + sh_quote(volume) + " " + sh_quote(g1) + " --progress none").exit_code == 0);
    put_file(volume, documents + "/report.bin", tuesday);
    REQUIRE(run(dagda_command() + " tib capture --volume " + sh_quote(volume) + " " + sh_quote(g2) + " --base " + sh_quote(g1) + " --progress none")
                .exit_code == 0);
    ControllerProcess controller(dir, dir.file("controller"), 0, archives);
    std::string token = file_bytes(dir.file("controller") + "/operator-token");
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
    const std::string bearer = "-H " + sh_quote("Authorization: Bearer " + token);
    const std::string base = "/api/servers/srv01/generations/";

    // The chain names its volumes, and a folder of generation 2 lists with sizes and dates.
    const nlohmann::json server = controller.api("GET", "/api/servers/srv01")["body"];
    REQUIRE(server["chains"][0]["volumes"].size() == 1);
    CHECK(server["chains"][0]["volumes"][0]["filesystem"] == "ntfs");
    const nlohmann::json listed = controller.api("GET", base + "g2.tib/files?path=%2FUsers%2Fann%2FDocuments");
    INFO(listed.dump());
    REQUIRE(listed["status"] == 200);
    std::map<std::string, nlohmann::json> entries;
    for (const auto& e : listed["body"]["entries"]) entries[e["name"]] = e;
    REQUIRE(entries.count("report.bin"));
    CHECK(entries["report.bin"]["size_bytes"] == tuesday.size());
    CHECK(entries["report.bin"]["modified"].get<std::string>().size() == 20);
    CHECK(entries[html_name]["size_bytes"] == 19);  // the name comes back as data, as it was written
    CHECK(entries["sub"]["directory"] == true);
    CHECK(controller.api("GET", base + "g1.tib/files")["body"]["entries"].size() >= 1);  // the root by default

    // A file's bytes, from each generation.
    for (const auto& [generation, expected] : {std::pair{"g1.tib", &monday}, std::pair{"g2.tib", &tuesday}}) {
        const Download got = download(dir, controller, base + generation + "/download?path=" + documents + "/report.bin", bearer);
        INFO(generation << " " << got.headers);
        CHECK(got.curl_exit == 0);
        CHECK(got.status == "200");
        CHECK(got.body == *expected);
        CHECK_THAT(got.headers, Catch::Contains("attachment; filename=\"report.bin\"") && Catch::Contains("application/octet-stream"));
    }

    // The folder as a zip and as a tar: unpacked by Python's own readers, every file compared.
    for (const std::string as : {"zip", "tar"}) {
        const Download got = download(dir, controller, base + "g2.tib/download?as=" + as + "&path=" + documents, bearer);
        INFO(as << " " << got.headers);
        REQUIRE(got.status == "200");
        CHECK_THAT(got.headers, Catch::Contains("filename=\"Documents." + as + "\""));
        const std::string out = dir.file("unpacked-" + as);
        const std::string unpack = as == "zip" ? "import zipfile,sys; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])"
                                               : "import tarfile,sys; tarfile.open(sys.argv[1]).extractall(sys.argv[2])";
        const RunResult unpacked = run("/usr/bin/python3 -c " + sh_quote(unpack) + " " + sh_quote(dir.file("download")) + " " + sh_quote(out));
        INFO(unpacked.err);
        REQUIRE(unpacked.exit_code == 0);
        CHECK(file_bytes(out + "/Documents/report.bin") == tuesday);
        CHECK(file_bytes(out + "/Documents/" + html_name) == "a name holding HTML");
        CHECK(file_bytes(out + "/Documents/sub/deep.txt") == "deep down");
        CHECK(file_bytes(out + "/Documents/\xc3\xbcnicode.txt") == "utf-8 name");
    }

    // Paths that climb, names that are not the server's, and wrong questions are refused.
    for (const std::string& target : {base + "g2.tib/files?path=/../..", base + "g2.tib/download?path=/Users/%2e%2e/%2e%2e/etc/passwd",
                                     base + "g2.tib/download?path=%5C..%5Cx", base + "g2.tib/files?path=Users",
                                     base + "g2.tib/download?path=" + documents, base + "g2.tib/files?path=/&colour=red",
                                     base + "g2.tib/download?path=/x&as=rar"}) {
        const Download got = download(dir, controller, target, bearer);
        INFO(target << " " << got.body);
        CHECK(got.status == "400");
    }
    for (const std::string& target : {base + "g3.tib/files", std::string("/api/servers/..%2F..%2Fetc/generations/g1.tib/files"),
                                     base + "..%2F..%2Fcontroller%2Foperator-token/files", base + "g2.tib/files?path=/no/such/folder",
                                     base + "g2.tib/download?path=/no-such-file"}) {
        const Download got = download(dir, controller, target, bearer);
        INFO(target << " " << got.body);
        CHECK(got.status == "404");
        CHECK(got.body.find(archives) == std::string::npos);  // file names only, never the controller's folders
    }
    CHECK(download(dir, controller, base + "g2.tib/files", "").status == "401");

    // A viewer sees the servers, never their files; an operator's download is in the audit log.
    write_file(dir.file("password"), "viewer's own password\n");
    REQUIRE(controller.ctl("user add bob --role viewer --password-stdin < " + sh_quote(dir.file("password"))).exit_code == 0);
    write_file(dir.file("login"), R"({"name": "bob", "password": "viewer's own password"})");
    REQUIRE(run("curl -sS -o /dev/null --cacert " + sh_quote(controller.ca_file()) + " -c " + sh_quote(dir.file("bob.jar")) +
                " -H 'Content-Type: application/json' --data-binary @" + sh_quote(dir.file("login")) + " " + sh_quote(controller.url() + "/api/session"))
                .exit_code == 0);
    const Download viewer = download(dir, controller, base + "g2.tib/download?path=" + documents + "/report.bin", "-b " + sh_quote(dir.file("bob.jar")));
    CHECK(viewer.status == "403");
    CHECK(viewer.body.find(tuesday.substr(0, 64)) == std::string::npos);
    const nlohmann::json audited = controller.api("GET", "/api/audit");
    INFO(audited.dump());
    std::string audit;
    for (const auto& e : audited["body"]["entries"])
        audit += e["who"].get<std::string>() + " | " + e["action"].get<std::string>() + " | " + e["outcome"].get<std::string>() + "\n";
    INFO(audit);
    CHECK_THAT(audit, Catch::Contains("operator token | download srv01/g2.tib " + documents + "/report.bin | ok") &&
                          Catch::Contains("operator token | download srv01/g2.tib " + documents + " as zip | ok") &&
                          Catch::Contains("bob | GET " + base + "g2.tib/download?path=" + documents + "/report.bin | refused: a viewer") &&
                          Catch::Contains("operator token | GET " + base + "g2.tib/download?path=%5C..%5Cx | refused"));

    // A generation that arrives after the server's listing was read is listed at once (the
    // controller keeps a server's summary only while its folder is unchanged).
    put_file(volume, documents + "/sub/deep.txt", "third day");
    REQUIRE(run(dagda_command() + " tib capture --volume " + sh_quote(volume) + " " + sh_quote(archives + "/srv01/g3.tib") + " --base " + sh_quote(g2) +
                " --progress none").exit_code == 0);
    const nlohmann::json third = controller.api("GET", base + "g3.tib/files?path=" + documents);
    INFO(third.dump());
    CHECK(third["status"] == 200);

    // A corrupt chunk inside the file's data: the download is cut (curl sees the chunked body
    // unended), never a whole-looking file of wrong bytes.
    std::string archive = file_bytes(g1);
    const std::size_t at = archive.find(monday.substr(2u << 20, 64));
    REQUIRE(at != std::string::npos);  // incompressible data is stored as it is
    archive[at + 10] = static_cast<char>(archive[at + 10] ^ 0x55);
    write_file(g1, archive);
    const Download cut = download(dir, controller, base + "g1.tib/download?path=" + documents + "/report.bin", bearer);
    INFO(cut.headers << controller.log());
    CHECK(cut.curl_exit != 0);
    CHECK(cut.body.size() < monday.size());
    CHECK_THAT(controller.log(), Catch::Contains("failed midway"));
    // and the audit log says so after its "ok" at the start.
    std::string later;
    const nlohmann::json audited_later = controller.api("GET", "/api/audit");
    for (const auto& e : audited_later["body"]["entries"]) later += e["action"].get<std::string>() + " | " + e["outcome"].get<std::string>() + "\n";
    CHECK_THAT(later, Catch::Contains("download srv01/g1.tib " + documents + "/report.bin | failed midway: "));
}

TEST_CASE("files of a generation in the archive store's bucket: listed and downloaded, read by the controller from the store",
          "[controller][integration][console][ntfs][objectstore][rgw]") {
    REQUIRE(controller_tools_present());
    REQUIRE(have_program("mkntfs"));
    TempDir dir;
    const std::string monday = random_bytes(1u << 20, 3), tuesday = random_bytes(1500000, 4);
    WindowsVolumeSpec spec;
    spec.size = 48ull << 20;
    spec.files = {{documents + "/report.bin", monday}, {documents + "/sub/deep.txt", "deep down"}};
    const std::string volume = make_windows_volume(dir, "volume.raw", spec);
    REQUIRE(!volume.empty());
    const std::string g1 = dir.file("g1.tib"), g2 = dir.file("g2.tib");
    REQUIRE(run(dagda_command() + " tib capture --volume " + sh_quote(volume) + " " + sh_quote(g1) + " --progress none").exit_code == 0);
    put_file(volume, documents + "/report.bin", tuesday);
    REQUIRE(run(dagda_command() + " tib capture --volume " + sh_quote(volume) + " " + sh_quote(g2) + " --base " + sh_quote(g1) + " --progress none")
                .exit_code == 0);
    RgwSandbox store;
    const std::string settings = store.settings_file(dir, "dagda-files", "site/");
    {
        dagda::objectstore::S3Client client(dagda::objectstore::read_bucket_settings(settings));
        client.create_bucket();
        for (const std::string& file : {g1, g2}) {
            const std::string bytes = file_bytes(file);
            client.put("srv01/" + fs::path(file).filename().string(), bytes.data(), bytes.size());
        }
    }
    const std::string state = dir.file("controller");
    ControllerProcess controller(dir, state, 0, "", {"--archive-store", settings});
    std::string token = file_bytes(state + "/operator-token");
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
    const std::string bearer = "-H " + sh_quote("Authorization: Bearer " + token);
    const std::string base = "/api/servers/srv01/generations/";

    const nlohmann::json listed = controller.api("GET", base + "g2.tib/files?path=%2FUsers%2Fann%2FDocuments");
    INFO(listed.dump() << controller.log());
    REQUIRE(listed["status"] == 200);
    std::map<std::string, nlohmann::json> entries;
    for (const auto& e : listed["body"]["entries"]) entries[e["name"]] = e;
    CHECK(entries["report.bin"]["size_bytes"] == tuesday.size());
    CHECK(entries["sub"]["directory"] == true);
    // Each generation's bytes: generation 2 reads its base from the bucket too.
    for (const auto& [generation, expected] : {std::pair{"g1.tib", &monday}, std::pair{"g2.tib", &tuesday}}) {
        const Download got = download(dir, controller, base + generation + "/download?path=" + documents + "/report.bin", bearer);
        INFO(generation << " " << got.headers);
        CHECK(got.status == "200");
        CHECK(got.body == *expected);
    }
    const Download zipped = download(dir, controller, base + "g2.tib/download?as=zip&path=" + documents, bearer);
    REQUIRE(zipped.status == "200");
    const RunResult unpacked = run("/usr/bin/python3 -c " + sh_quote("import zipfile,sys; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])") + " " +
                                   sh_quote(dir.file("download")) + " " + sh_quote(dir.file("unzipped")));
    REQUIRE(unpacked.exit_code == 0);
    CHECK(file_bytes(dir.file("unzipped/Documents/report.bin")) == tuesday);
    CHECK(file_bytes(dir.file("unzipped/Documents/sub/deep.txt")) == "deep down");
    // The controller's programs are named the object's address, never its signature (`ps` shows
    // every command line): the signed URLs are in the owner-only file of --archive-urls.
    {
        const auto bucket = dagda::controller::make_bucket_store(dagda::objectstore::read_bucket_settings(settings));
        const dagda::controller::ProgramArchive archive =
            dagda::controller::program_archive(*bucket, "srv01", "g2.tib", dir.file("g2.urls"), std::chrono::minutes(10));
        CHECK(archive.location.find('?') == std::string::npos);
        CHECK(archive.location.ends_with("/srv01/g2.tib"));
        CHECK(archive.urls.size() == 2);
        CHECK((fs::status(dir.file("g2.urls")).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));
        std::string command = dagda_command() + " tib verify " + sh_quote(archive.location);
        for (const std::string& option : archive.options()) command += " " + sh_quote(option);
        const RunResult verified = run(command + " --progress none");
        INFO(verified.err);
        CHECK(verified.exit_code == 0);
        CHECK(command.find("X-Amz-Signature") == std::string::npos);
    }
    CHECK_FALSE(fs::exists(dir.file("g2.urls")));
    // A generation the bucket lacks is not found; the URLs' files of the programs are gone.
    CHECK(controller.api("GET", base + "g3.tib/files")["status"] == 404);
    CHECK(run("find " + sh_quote(state) + " -name '*.urls' | wc -l").out == "0\n");
    CHECK(controller.log().find("X-Amz-Signature") == std::string::npos);
}
