// /api/hypervisors (issue 14): the hypervisors a controller makes VMs on, kept in its store,
// with nothing secret in what it keeps or lists.

#include "ApiTestBench.hpp"

#include <catch2/catch.hpp>

#include <fstream>

#include <sys/stat.h>

using dagda::controller::ApiResponse;
using nlohmann::json;

TEST_CASE("Api: hypervisors are added, listed, shown and removed", "[controller][api][hypervisor]") {
    ApiTestBench bench;
    CHECK(bench.call("GET", "/api/hypervisors").body == json{{"hypervisors", json::array()}});
    const std::string credentials = bench.dir.file("esx1.credentials");
    std::ofstream(credentials) << "user=root\npassword=s3cret\n";
    ::chmod(credentials.c_str(), 0600);
    const ApiResponse local = bench.call("POST", "/api/hypervisors", R"({"name": "local", "uri": "qemu:///system", "pool": "dagda", "network": "default"})");
    REQUIRE(local.status == 201);
    CHECK(local.body == json{{"name", "local"}, {"uri", "qemu:///system"}, {"flavour", "qemu"}, {"pool", "dagda"}, {"network", "default"},
                             {"credentials_file", nullptr}});
    const ApiResponse esx = bench.call("POST", "/api/hypervisors",
                                       json{{"name", "esx1"}, {"uri", "esx://esx1.lan/?no_verify=1"}, {"pool", "datastore1"}, {"network", "VM Network"},
                                            {"credentials_file", credentials}}.dump());
    REQUIRE(esx.status == 201);
    CHECK(esx.body["flavour"] == "esx");
    const json listed = bench.call("GET", "/api/hypervisors").body["hypervisors"];
    REQUIRE(listed.size() == 2);
    CHECK(listed[0]["name"] == "esx1");  // by name
    CHECK_THAT(listed.dump(), !Catch::Contains("s3cret"));
    CHECK(bench.call("GET", "/api/hypervisors/local").body["uri"] == "qemu:///system");
    CHECK(bench.call("GET", "/api/hypervisors/nowhere").status == 404);
    CHECK(bench.call("POST", "/api/hypervisors", R"({"name": "local", "uri": "qemu:///system", "pool": "other"})").status == 409);
    CHECK(bench.call("DELETE", "/api/hypervisors/local").status == 200);
    CHECK(bench.call("DELETE", "/api/hypervisors/local").status == 404);
    CHECK(bench.call("PUT", "/api/hypervisors/esx1").status == 405);
    CHECK(bench.call("GET", "/api/hypervisors").body["hypervisors"].size() == 1);
}

TEST_CASE("Api: a hypervisor with a password in its URI, an unknown driver or a readable credentials file is refused",
          "[controller][api][hypervisor]") {
    ApiTestBench bench;
    const auto refused = [&](const json& body) {
        const ApiResponse answer = bench.call("POST", "/api/hypervisors", body.dump());
        CHECK(answer.status == 400);
        return answer.body.value("message", "");
    };
    CHECK_THAT(refused({{"name", "esx1"}, {"uri", "esx://root:s3cret@esx1.lan/"}, {"pool", "datastore1"}}), Catch::Contains("holds a password"));
    CHECK_THAT(refused({{"name", "x"}, {"uri", "xen:///system"}, {"pool", "p"}}), Catch::Contains("qemu:///system"));
    CHECK_THAT(refused({{"name", "x"}, {"uri", "qemu:///system"}}), Catch::Contains("\"pool\""));
    CHECK_THAT(refused({{"name", "a b"}, {"uri", "qemu:///system"}, {"pool", "p"}}), Catch::Contains("name"));
    CHECK_THAT(refused({{"name", "x"}, {"uri", "qemu:///system"}, {"pool", "p"}, {"password", "s"}}), Catch::Contains("unknown key \"password\""));
    const std::string readable = bench.dir.file("readable.credentials");
    std::ofstream(readable) << "user=root\npassword=s3cret\n";
    ::chmod(readable.c_str(), 0644);
    CHECK_THAT(refused({{"name", "x"}, {"uri", "esx://h/"}, {"pool", "p"}, {"credentials_file", readable}}), Catch::Contains("chmod 600"));
    CHECK_THAT(refused({{"name", "x"}, {"uri", "esx://h/"}, {"pool", "p"}, {"credentials_file", "relative.txt"}}), Catch::Contains("absolute"));
    // A user name alone in the URI is no secret.
    CHECK(bench.call("POST", "/api/hypervisors", R"({"name": "kvm1", "uri": "qemu+ssh://dagda@kvm1.lan/system", "pool": "images"})").status == 201);
}
