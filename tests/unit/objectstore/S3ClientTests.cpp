// The bucket client against a real S3 store: Ceph's RADOS gateway started on 127.0.0.1 for each
// case (tests/common/rgw-sandbox). What it stores is read back with curl and, for the multipart
// upload, with boto3 (an independent S3 client), not only with the client itself.

#include "objectstore/S3Client.hpp"

#include "common/RgwSandbox.hpp"
#include "common/Run.hpp"
#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <random>
#include <sys/stat.h>
#include <thread>

using namespace dagda;
using namespace dagda::objectstore;
using dagda::testing::RgwSandbox;
using dagda::testing::TempDir;
using dagda::testing::run;
using dagda::testing::sh_quote;

namespace {

std::vector<std::uint8_t> random_bytes(std::size_t size, unsigned seed) {
    std::mt19937_64 generator(seed);
    std::vector<std::uint8_t> out(size);
    for (auto& byte : out) byte = static_cast<std::uint8_t>(generator());
    return out;
}

/// curl's status code for a GET of `url` (with a range), its body kept in `body_file`.
std::string curl_status(const std::string& url, const std::string& body_file, const std::string& range = "0-9") {
    return run("curl -s -g -r " + range + " -o " + sh_quote(body_file) + " -w '%{http_code}' " + sh_quote(url)).out;
}

}  // namespace

TEST_CASE("S3 client: objects put, listed, read in ranges and removed", "[objectstore][rgw]") {
    RgwSandbox store;
    TempDir dir;
    S3Client client(read_bucket_settings(store.settings_file(dir, "dagda-archives", "site-a/")));
    client.create_bucket();
    client.create_bucket();  // again: the bucket is ours, and that is fine
    const auto g1 = random_bytes(300'000, 1), g2 = random_bytes(1000, 2), other = random_bytes(10, 3);
    client.put("srv01/g1.tib", g1.data(), g1.size());
    client.put("srv01/g2.tib", g2.data(), g2.size());
    client.put("srv 02/g1.tib", other.data(), other.size());

    const auto listed = client.list("srv01/");
    REQUIRE(listed.size() == 2);
    CHECK(listed[0].key == "srv01/g1.tib");
    CHECK(listed[0].size == g1.size());
    CHECK(listed[1].key == "srv01/g2.tib");
    CHECK(client.folders("") == std::vector<std::string>{"srv 02", "srv01"});
    CHECK(client.size_of("srv01/g1.tib") == g1.size());
    CHECK_FALSE(client.size_of("srv01/g3.tib").has_value());

    const auto piece = client.read("srv01/g1.tib", 123'456, 1000);
    CHECK(std::equal(piece.begin(), piece.end(), g1.begin() + 123'456));
    CHECK_THROWS_AS(client.read("srv01/none.tib", 0, 10), StoreRefusal);

    // The prefix is a folder of the bucket: the object is there for any S3 client.
    CHECK(curl_status(client.presigned_get("srv 02/g1.tib", std::chrono::seconds(60)), dir.file("got")) == "206");
    CHECK(dagda::testing::file_bytes(dir.file("got")) == std::string(other.begin(), other.end()));

    client.remove("srv01/g2.tib");
    CHECK(client.list("srv01/").size() == 1);
}

TEST_CASE("S3 client: a listing longer than one page is read through", "[objectstore][rgw]") {
    RgwSandbox store;
    TempDir dir;
    S3Client client(read_bucket_settings(store.settings_file(dir, "dagda-many")));
    client.create_bucket();
    const char byte = 'x';
    for (int i = 0; i < 1005; ++i) client.put("srv/" + std::to_string(10000 + i), &byte, 1);
    CHECK(client.list("srv/").size() == 1005);
}

TEST_CASE("S3 client: a multipart upload cut midway resumes with the parts the store kept", "[objectstore][rgw]") {
    RgwSandbox store;
    TempDir dir;
    const std::string settings = store.settings_file(dir, "dagda-uploads");
    const auto bytes = random_bytes(12 << 20, 4);
    const std::size_t part = 5 << 20;
    {
        S3Client first(read_bucket_settings(settings));
        first.create_bucket();
        const std::string id = first.start_upload("srv01/g1.tib");
        first.upload_part("srv01/g1.tib", id, 1, bytes.data(), part);
    }  // the uploader is gone after one part
    S3Client again(read_bucket_settings(settings));
    const auto pending = again.uploads("srv01/");
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].key == "srv01/g1.tib");
    auto parts = again.parts("srv01/g1.tib", pending[0].upload_id);
    REQUIRE(parts.size() == 1);
    CHECK(parts[0].size == part);
    CHECK_FALSE(again.size_of("srv01/g1.tib").has_value());  // nothing is committed until it completes
    for (int number = 2; static_cast<std::size_t>(number - 1) * part < bytes.size(); ++number) {
        const std::size_t at = static_cast<std::size_t>(number - 1) * part;
        const std::size_t size = std::min(part, bytes.size() - at);
        parts.push_back({number, again.upload_part("srv01/g1.tib", pending[0].upload_id, number, bytes.data() + at, size), size});
    }
    again.complete_upload("srv01/g1.tib", pending[0].upload_id, parts);
    CHECK(again.uploads("srv01/").empty());
    CHECK(again.size_of("srv01/g1.tib") == bytes.size());

    // Read back by boto3, an S3 client of its own.
    std::ofstream(dir.file("expected.bin"), std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    const auto checked = run("python3 -c " + sh_quote(R"(
import boto3, botocore.config, sys
s3 = boto3.client("s3", endpoint_url=sys.argv[1], aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3], region_name="us-east-1",
                  config=botocore.config.Config(s3={"addressing_style": "path"}))
body = s3.get_object(Bucket="dagda-uploads", Key="srv01/g1.tib")["Body"].read()
sys.exit(0 if body == open(sys.argv[4], "rb").read() else 1)
)") + " " + sh_quote(store.endpoint()) + " " + sh_quote(store.access_key()) + " " + sh_quote(store.secret_key()) + " " + sh_quote(dir.file("expected.bin")));
    CHECK(checked.exit_code == 0);
    INFO(checked.err);
}

TEST_CASE("S3 client: the store refuses a pre-signed URL tampered with, for another object, or expired", "[objectstore][rgw]") {
    RgwSandbox store;
    TempDir dir;
    S3Client client(read_bucket_settings(store.settings_file(dir, "dagda-signed")));
    client.create_bucket();
    const auto a = random_bytes(100, 5), b = random_bytes(100, 6);
    client.put("srv01/g1.tib", a.data(), a.size());
    client.put("srv02/g1.tib", b.data(), b.size());
    const std::string url = client.presigned_get("srv01/g1.tib", std::chrono::seconds(60));
    CHECK(curl_status(url, dir.file("body")) == "206");

    std::string other = url;
    other.replace(other.find("srv01"), 5, "srv02");
    CHECK(curl_status(other, dir.file("body")) == "403");
    std::string tampered = url;
    tampered.back() = tampered.back() == '0' ? '1' : '0';
    CHECK(curl_status(tampered, dir.file("body")) == "403");
    std::string longer = url;
    longer.replace(longer.find("X-Amz-Expires=60"), 16, "X-Amz-Expires=99");
    CHECK(curl_status(longer, dir.file("body")) == "403");

    // Agents that reach the store by another name (agent_endpoint) get URLs signed for that
    // name, which the store honours there; one signed for the controller's name is refused there.
    BucketSettings by_name = read_bucket_settings(store.settings_file(dir, "dagda-signed"));
    by_name.agent_endpoint = "http://localhost:" + store.endpoint().substr(store.endpoint().rfind(':') + 1);
    const S3Client named(by_name);
    const std::string for_agents = named.presigned_get("srv01/g1.tib", std::chrono::seconds(60), S3Client::Reader::agent);
    CHECK(for_agents.rfind(by_name.agent_endpoint + "/dagda-signed/srv01/g1.tib?", 0) == 0);
    CHECK(curl_status(for_agents, dir.file("body")) == "206");
    CHECK(named.presigned_get("srv01/g1.tib", std::chrono::seconds(60)).rfind(store.endpoint() + "/", 0) == 0);
    std::string readdressed = url;
    readdressed.replace(0, store.endpoint().size(), by_name.agent_endpoint);
    CHECK(curl_status(readdressed, dir.file("body")) == "403");

    const std::string brief = client.presigned_get("srv01/g1.tib", std::chrono::seconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    CHECK(curl_status(brief, dir.file("body")) == "403");
    CHECK(dagda::testing::file_bytes(dir.file("body")).find("AccessDenied") != std::string::npos);
}

TEST_CASE("S3 client: wrong keys are refused by the store, and the message holds no secret", "[objectstore][rgw]") {
    RgwSandbox store;
    TempDir dir;
    BucketSettings settings = read_bucket_settings(store.settings_file(dir, "dagda-keys"));
    S3Client(settings).create_bucket();
    settings.credentials.secret_key = "not-the-secret-" + store.secret_key().substr(0, 8);
    S3Client wrong(settings);
    try {
        wrong.list("");
        FAIL("a listing signed with the wrong secret was answered");
    } catch (const StoreRefusal& e) {
        CHECK(e.status == 403);
        CHECK(e.code == "SignatureDoesNotMatch");
        CHECK(std::string(e.what()).find(settings.credentials.secret_key) == std::string::npos);
        CHECK(std::string(e.what()).find(store.secret_key()) == std::string::npos);
    }
}

TEST_CASE("S3 settings: credentials others may read, unknown keys and bad names are refused", "[objectstore]") {
    TempDir dir;
    const std::string keys = dir.file("keys.json");
    std::ofstream(keys) << R"({"access_key": "A", "secret_key": "S"})";
    ::chmod(keys.c_str(), 0644);
    const auto settings = [&](const std::string& text) {
        std::ofstream(dir.file("store.json")) << text;
        return dir.file("store.json");
    };
    const std::string good = R"({"endpoint": "https://s3.example.org", "bucket": "dagda", "credentials": ")" + keys + "\"}";
    CHECK_THROWS_WITH(read_bucket_settings(settings(good)), Catch::Contains("readable by their owner only"));
    ::chmod(keys.c_str(), 0600);
    const BucketSettings read = read_bucket_settings(settings(good));
    CHECK(read.region == "us-east-1");
    CHECK(read.credentials.secret_key == "S");
    CHECK_THROWS_WITH(read_bucket_settings(settings(R"({"endpoint": "https://s3.example.org", "bucket": "dagda", "credentials": ")" + keys +
                                                    R"(", "secret": "x"})")),
                      Catch::Contains("unknown setting \"secret\""));
    CHECK_THROWS_WITH(read_bucket_settings(settings(R"({"endpoint": "https://s3.example.org", "bucket": "Dagda_1", "credentials": ")" + keys + "\"}")),
                      Catch::Contains("\"bucket\" is 3 to 63"));
    CHECK_THROWS_WITH(read_bucket_settings(settings(R"({"endpoint": "https://s3.example.org/x", "bucket": "dagda", "credentials": ")" + keys + "\"}")),
                      Catch::Contains("without a path"));
    CHECK_THROWS_WITH(read_bucket_settings(settings(R"({"endpoint": "https://s3.example.org", "bucket": "dagda", "prefix": "/a", "credentials": ")" + keys + "\"}")),
                      Catch::Contains("\"prefix\""));
    CHECK_THROWS_WITH(read_bucket_settings(settings(R"({"endpoint": "https://s3.example.org", "agent_endpoint": "http://10.0.2.2:7480/s3", "bucket": "dagda", "credentials": ")" +
                                                    keys + "\"}")),
                      Catch::Contains("\"agent_endpoint\" is the store's origin"));
    CHECK(read_bucket_settings(settings(R"({"endpoint": "http://127.0.0.1:7480", "agent_endpoint": "http://10.0.2.2:7480/", "bucket": "dagda", "credentials": ")" +
                                        keys + "\"}"))
              .agent_endpoint == "http://10.0.2.2:7480");

    // The example of docs/archive-store.md, its credentials file aside, is a settings file.
    const std::string doc = dagda::testing::file_bytes(std::string(DAGDA_SOURCE_DIR) + "/docs/archive-store.md");
    const std::size_t start = doc.find("```json\n"), end = doc.find("```", start + 8);
    REQUIRE(start != std::string::npos);
    std::string example = doc.substr(start + 8, end - start - 8);
    example.replace(example.find("/etc/dagda/store-keys.json"), 26, keys);
    const BucketSettings documented = read_bucket_settings(settings(example));
    CHECK(documented.bucket == "dagda-archives");
    CHECK(documented.prefix == "site-a/");
    CHECK(documented.ca_file == "/etc/dagda/store-ca.pem");
    CHECK(documented.agent_endpoint == "https://s3.site-a.example.org");
}
