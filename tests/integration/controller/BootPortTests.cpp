// Issues 6 and 7: the controller serves PXE machines over plain HTTP: the generic iPXE script a
// DHCP server names, each enrolled machine's own script (its agent's settings and token), the
// console for a card it does not know, and the live image's kernel and initramfs with ranges.
// Everything else stays on the TLS port. Real controller process, real sockets, curl as iPXE.

#include "common/Run.hpp"
#include "integration/controller/ControllerFixture.hpp"

#include <catch2/catch.hpp>


using namespace dagda::testing;

namespace {

struct Fetched {
    int status = 0;
    std::string body, headers;
};

/// One plain-HTTP request, as iPXE makes it.
Fetched fetch(const TempDir& dir, const std::string& url, const std::string& curl_options = "") {
    const std::string body = dir.file("fetched"), headers = dir.file("fetched-headers");
    const RunResult result = run("curl -sS --max-time 20 -o " + sh_quote(body) + " -D " + sh_quote(headers) + " -w '%{http_code}' " +
                                 curl_options + " " + sh_quote(url));
    if (result.exit_code != 0) throw std::runtime_error("curl " + url + ": " + result.err);
    return {std::stoi(result.out), file_bytes(body), file_bytes(headers)};
}

}  // namespace

TEST_CASE("controller: the boot port serves each enrolled machine its iPXE script, others the console, and the image's files",
          "[controller][integration][pxe]") {
    if (!controller_tools_present()) return;
    TempDir dir;
    const std::string pxe = dir.file("pxe");
    std::filesystem::create_directories(pxe);
    const std::string kernel = random_bytes(300000, 1), initrd = random_bytes(700000, 2);
    write_file(pxe + "/vmlinuz", kernel);
    write_file(pxe + "/initrd.img", initrd);
    write_file(pxe + "/secret.txt", "not served");
    ControllerProcess controller(dir, dir.file("controller"), 0, "", {"--boot-port", "0", "--boot-files", pxe, "--boot-unknown", "console"});
    const std::string script_url = controller.boot_script_url();
    REQUIRE(script_url.rfind("http://127.0.0.1:", 0) == 0);
    const std::string boot = script_url.substr(0, script_url.size() - std::string("/boot.ipxe").size());

    const auto enrolled = controller.api("POST", "/api/enrolments", {{"name", "pxe-box"}, {"mac", "52-54-00-AA-bb-01"}});
    REQUIRE(enrolled["status"] == 201);
    CHECK(enrolled["body"]["mac"] == "52:54:00:aa:bb:01");
    const std::string token = enrolled["body"]["token"];

    SECTION("the generic script chains to the script of the card iPXE booted from") {
        const Fetched chain = fetch(dir, script_url);
        CHECK(chain.status == 200);
        CHECK(chain.body.rfind("#!ipxe\n", 0) == 0);
        CHECK_THAT(chain.body, Catch::Contains("chain --autofree " + boot + "/machine.ipxe?mac=${netX/mac:hexhyp}"));
    }
    SECTION("an enrolled card gets its agent's settings and token; the controller says who asked") {
        const Fetched script = fetch(dir, boot + "/machine.ipxe?mac=52-54-00-aa-bb-01");
        CHECK(script.status == 200);
        CHECK_THAT(script.body, Catch::Contains("kernel " + boot + "/vmlinuz initrd=initrd.img console=tty0 console=ttyS0,115200 dagda.mode=agent"));
        CHECK_THAT(script.body, Catch::Contains("dagda.controller=wss://127.0.0.1:" + std::to_string(controller.port())));
        CHECK_THAT(script.body, Catch::Contains("dagda.pin=" + controller.pin()));
        CHECK_THAT(script.body, Catch::Contains("dagda.enrolment=pxe-box dagda.token=" + token + "\n"));
        CHECK_THAT(script.body, Catch::Contains("initrd " + boot + "/initrd.img\nboot\n"));
        CHECK(eventually([&] { return controller.log().find("(52:54:00:aa:bb:01): the agent of the enrolment pxe-box") != std::string::npos; }, 5));
    }
    SECTION("a card no enrolment names gets the console (--boot-unknown console) and no secret") {
        const Fetched script = fetch(dir, boot + "/machine.ipxe?mac=52-54-00-aa-bb-02");
        CHECK(script.status == 200);
        CHECK_THAT(script.body, Catch::Contains("dagda.mode=console"));
        CHECK_THAT(script.body, !Catch::Contains("dagda.token") && !Catch::Contains("dagda.controller"));
    }
    SECTION("the kernel whole, the initramfs by range, and nothing else of the folder") {
        const Fetched whole = fetch(dir, boot + "/vmlinuz");
        CHECK(whole.status == 200);
        CHECK(whole.body == kernel);
        const Fetched part = fetch(dir, boot + "/initrd.img", "-H 'Range: bytes=1000-1999'");
        CHECK(part.status == 206);
        CHECK(part.body == initrd.substr(1000, 1000));
        CHECK_THAT(part.headers, Catch::Contains("bytes 1000-1999/700000"));
        CHECK(fetch(dir, boot + "/secret.txt").status == 404);
        CHECK(fetch(dir, boot + "/../secret.txt", "--path-as-is").status == 404);
    }
    SECTION("bad requests: no MAC, another method, the API or archives in cleartext, a MAC enrolled twice") {
        CHECK(fetch(dir, boot + "/machine.ipxe?mac=52-54-00-aa-bb").status == 400);
        CHECK(fetch(dir, boot + "/machine.ipxe").status == 400);
        const Fetched post = fetch(dir, boot + "/vmlinuz", "-X POST");
        CHECK(post.status == 405);
        CHECK_THAT(post.headers, Catch::Contains("GET, HEAD"));
        const std::string plain_root = boot.substr(0, boot.size() - std::string("/boot").size());
        CHECK(fetch(dir, plain_root + "/api/agents").status == 404);
        CHECK(fetch(dir, plain_root + "/files/x/y").status == 404);
        CHECK(controller.api("POST", "/api/enrolments", {{"name", "other"}, {"mac", "52:54:00:aa:bb:01"}})["status"] == 409);
        CHECK(controller.api("POST", "/api/enrolments", {{"name", "other"}, {"mac", "52:54:00"}})["status"] == 400);
    }
}

TEST_CASE("controller: by default a card no enrolment names boots its next device, never the console", "[controller][integration][pxe]") {
    if (!controller_tools_present()) return;
    TempDir dir;
    std::filesystem::create_directories(dir.file("pxe"));
    ControllerProcess controller(dir, dir.file("controller"), 0, "", {"--boot-port", "0", "--boot-files", dir.file("pxe")});
    const std::string boot = controller.boot_script_url().substr(0, controller.boot_script_url().rfind('/'));
    const Fetched script = fetch(dir, boot + "/machine.ipxe?mac=52-54-00-aa-bb-09");
    CHECK(script.status == 200);
    CHECK(script.body == "#!ipxe\necho Dagda Rescue: no recovery is armed for this card, booting the next device\nexit\n");
    CHECK(eventually([&] { return controller.log().find("(52:54:00:aa:bb:09): its next boot device, no enrolment names this card") != std::string::npos; }, 5));
    // An enrolment without a MAC cannot be armed for PXE; an unknown one is not found.
    controller.enrol("plain");
    CHECK(controller.api("POST", "/api/enrolments/plain/arm")["status"] == 409);
    CHECK(controller.api("POST", "/api/enrolments/nobody/arm")["status"] == 404);
    CHECK(controller.api("GET", "/api/enrolments/plain/arm")["status"] == 405);
}
