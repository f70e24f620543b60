// Issue 16, the console's people against a real controller on loopback, driven by curl as a
// browser would: users made by `dagda ctl user`, a login's cookie (Secure, HttpOnly,
// SameSite=Strict), CSRF, a viewer's limits, rate-limited logins, logout, the page's own
// security headers, the operator's token still working, and the audit log of it all; and a
// recovery's events pushed as server-sent events.

#include "ControllerFixture.hpp"

#include "common/Run.hpp"

#include <catch2/catch.hpp>

#include <cctype>
#include <filesystem>
#include <regex>

using namespace dagda::testing;
namespace fs = std::filesystem;

namespace {

struct Answer {
    int status = 0;
    nlohmann::json body;
    std::string headers;
};

/// A browser-like call: the cookies of `jar` sent and kept, `headers` added, a JSON body.
Answer call(const TempDir& dir, const ControllerProcess& controller, const std::string& method, const std::string& path,
            const std::string& jar, const nlohmann::json& body = nullptr, const std::vector<std::string>& headers = {}) {
    std::string command = "curl -sS --max-time 20 --cacert " + sh_quote(controller.ca_file()) + " -o " + sh_quote(dir.file("console-body")) +
                          " -D " + sh_quote(dir.file("console-headers")) + " -w '%{http_code}' -X " + method + " -b " + sh_quote(jar) + " -c " +
                          sh_quote(jar);
    for (const std::string& header : headers) command += " -H " + sh_quote(header);
    if (!body.is_null()) {
        write_file(dir.file("console-request"), body.dump());
        command += " -H 'Content-Type: application/json' --data-binary @" + sh_quote(dir.file("console-request"));
    }
    const RunResult result = run(command + " " + sh_quote(controller.url() + path));
    REQUIRE(result.exit_code == 0);
    Answer answer{std::stoi(result.out), nlohmann::json::parse(file_bytes(dir.file("console-body")), nullptr, false),
                  file_bytes(dir.file("console-headers"))};
    return answer;
}

void add_user(const ControllerProcess& controller, const TempDir& dir, const std::string& name, const std::string& role, const std::string& password) {
    write_file(dir.file("password"), password + "\n");
    const RunResult added = controller.ctl("user add " + name + " --role " + role + " --password-stdin < " + sh_quote(dir.file("password")));
    INFO(added.err);
    REQUIRE(added.exit_code == 0);
}

}  // namespace

TEST_CASE("console: logins, cookies, CSRF, roles, rate limits and the audit log, on a real controller", "[controller][integration][console]") {
    REQUIRE(controller_tools_present());
    TempDir dir;
    ControllerProcess controller(dir, dir.file("controller"));
    add_user(controller, dir, "alice", "operator", "correct horse battery");
    add_user(controller, dir, "bob", "viewer", "viewer's own password");
    const RunResult listed = controller.ctl("users");
    CHECK_THAT(listed.out, Catch::Contains("alice  operator") && Catch::Contains("bob  viewer"));
    CHECK(controller.ctl("user add carol --role admin --password-stdin < /dev/null").exit_code != 0);
    const std::string alice = dir.file("alice.jar"), bob = dir.file("bob.jar"), stranger = dir.file("stranger.jar");

    // The page: served from the binary, with headers that keep other sites and inline scripts out.
    const Answer page = call(dir, controller, "GET", "/", stranger);
    CHECK(page.status == 200);
    CHECK_THAT(page.headers, Catch::Contains("Content-Security-Policy: default-src 'none'; script-src 'self'") &&
                                 Catch::Contains("frame-ancestors 'none'") && Catch::Contains("X-Content-Type-Options: nosniff"));
    CHECK(call(dir, controller, "GET", "/console/console.js", stranger).status == 200);
    CHECK(call(dir, controller, "GET", "/console/../operator-token", stranger).status == 404);

    // A wrong password, an unknown name and a form post are refused; the right one opens a session.
    CHECK(call(dir, controller, "POST", "/api/session", alice, {{"name", "alice"}, {"password", "wrong horse"}}).status == 401);
    CHECK(call(dir, controller, "POST", "/api/session", alice, {{"name", "mallory"}, {"password", "correct horse battery"}}).status == 401);
    write_file(dir.file("form"), "name=alice&password=correct+horse+battery");
    CHECK(run("curl -sS -o /dev/null -w '%{http_code}' --cacert " + sh_quote(controller.ca_file()) + " -X POST --data-binary @" +
              sh_quote(dir.file("form")) + " " + sh_quote(controller.url() + "/api/session")).out == "415");
    const Answer login = call(dir, controller, "POST", "/api/session", alice, {{"name", "alice"}, {"password", "correct horse battery"}});
    REQUIRE(login.status == 200);
    CHECK(login.body["role"] == "operator");
    const std::string csrf = login.body["csrf"];
    std::smatch cookie;
    REQUIRE(std::regex_search(login.headers, cookie, std::regex(R"(Set-Cookie: dagda_session=([0-9a-f]{64});([^\r\n]*))", std::regex::icase)));
    CHECK_THAT(cookie[2].str(), Catch::Contains("Secure") && Catch::Contains("HttpOnly") && Catch::Contains("SameSite=Strict") &&
                                    Catch::Contains("Path=/"));
    CHECK(login.body.dump().find(cookie[1].str()) == std::string::npos);  // the page's script never sees the session's token

    // The session reads; it changes only with its CSRF token.
    CHECK(call(dir, controller, "GET", "/api/agents", alice).status == 200);
    CHECK(call(dir, controller, "GET", "/api/session", alice).body["csrf"] == csrf);
    const Answer forged = call(dir, controller, "POST", "/api/enrolments", alice, {{"name", "srv01"}});
    CHECK(forged.status == 403);
    CHECK(forged.body["error"] == "csrf");
    CHECK(call(dir, controller, "POST", "/api/enrolments", alice, {{"name", "srv01"}}, {"X-CSRF-Token: " + std::string(64, '0')}).status == 403);
    CHECK(call(dir, controller, "POST", "/api/enrolments", alice, {{"name", "srv01"}}, {"X-CSRF-Token: " + csrf}).status == 201);
    // A misspelt key is refused, as everywhere in the API, never ignored.
    CHECK(call(dir, controller, "POST", "/api/users", alice, {{"name", "eve"}, {"role", "viewer"}, {"password", "0123456789ab"}, {"admin", true}},
               {"X-CSRF-Token: " + csrf}).status == 400);
    CHECK(call(dir, controller, "POST", "/api/users/alice/password", alice, {{"password", "0123456789ab"}, {"force", true}},
               {"X-CSRF-Token: " + csrf}).status == 400);
    CHECK(call(dir, controller, "POST", "/api/session", stranger, {{"name", "alice"}, {"password", "correct horse battery"}, {"remember", true}})
              .status == 400);

    // A viewer looks and may not push anything.
    const Answer viewer = call(dir, controller, "POST", "/api/session", bob, {{"name", "bob"}, {"password", "viewer's own password"}});
    REQUIRE(viewer.status == 200);
    const std::string bob_csrf = viewer.body["csrf"];
    CHECK(call(dir, controller, "GET", "/api/enrolments", bob).status == 200);
    const Answer pushed = call(dir, controller, "POST", "/api/recoveries", bob, {{"server", "srv01"}}, {"X-CSRF-Token: " + bob_csrf});
    CHECK(pushed.status == 403);
    CHECK_THAT(pushed.body["message"].get<std::string>(), Catch::Contains("viewer"));
    CHECK(call(dir, controller, "POST", "/api/users", bob, {{"name", "eve"}, {"role", "operator"}, {"password", "0123456789ab"}},
               {"X-CSRF-Token: " + bob_csrf}).status == 403);

    // Five wrong passwords from an address (two above): the next attempts wait, even with the right password.
    for (int i = 0; i < 3; ++i) CHECK(call(dir, controller, "POST", "/api/session", stranger, {{"name", "carol"}, {"password", "guess " + std::to_string(i)}}).status == 401);
    const Answer limited = call(dir, controller, "POST", "/api/session", stranger, {{"name", "alice"}, {"password", "correct horse battery"}});
    CHECK(limited.status == 429);
    CHECK_THAT(limited.headers, Catch::Contains("Retry-After: "));

    // The operator's token keeps working for scripts and ctl, and its changes are audited too.
    CHECK(controller.api("POST", "/api/enrolments", {{"name", "srv02"}})["status"] == 201);

    // Logging out ends the session for good.
    CHECK(call(dir, controller, "DELETE", "/api/session", alice, nullptr, {"X-CSRF-Token: " + csrf}).status == 200);
    CHECK(call(dir, controller, "GET", "/api/agents", alice).status == 401);
    CHECK(run("curl -sS -o /dev/null -w '%{http_code}' --cacert " + sh_quote(controller.ca_file()) + " -H " +
              sh_quote("Cookie: dagda_session=" + cookie[1].str()) + " " + sh_quote(controller.url() + "/api/agents")).out == "401");

    // A new password ends bob's session; the audit log tells who did what, from where.
    write_file(dir.file("password"), "a brand new password\n");
    REQUIRE(controller.ctl("user passwd bob --password-stdin < " + sh_quote(dir.file("password"))).exit_code == 0);
    CHECK(call(dir, controller, "GET", "/api/enrolments", bob).status == 401);
    const nlohmann::json audit = controller.api("GET", "/api/audit")["body"]["entries"];
    std::string log;
    for (const auto& entry : audit) log += entry["who"].get<std::string>() + " | " + entry["action"].get<std::string>() + " | " + entry["outcome"].get<std::string>() + "\n";
    INFO(log);
    CHECK_THAT(log, Catch::Contains("alice | log in | refused: wrong name or password") && Catch::Contains("mallory | log in | refused") &&
                        Catch::Contains("alice | log in | ok") && Catch::Contains("alice | POST /api/enrolments | ok") &&
                        Catch::Contains("bob | POST /api/recoveries | refused") && Catch::Contains("alice | log in | refused: too many failed attempts") &&
                        Catch::Contains("operator token | POST /api/enrolments | ok") && Catch::Contains("alice | log out | ok") &&
                        Catch::Contains("operator token | POST /api/users/bob/password | ok"));
    CHECK(audit[0]["address"] == "127.0.0.1");
    CHECK(controller.api("GET", "/api/audit?after=" + std::to_string(audit[0]["seq"].get<int>()))["body"]["entries"].size() == audit.size() - 1);
    CHECK(controller.api("GET", "/api/audit?since=3")["status"] == 400);
    CHECK(controller.ctl("user remove bob").exit_code == 0);
    CHECK_THAT(controller.ctl("users").out, !Catch::Contains("bob"));
}

TEST_CASE("console: a recovery's events stream as server-sent events, go on after Last-Event-ID, and end with it",
          "[controller][integration][console]") {
    REQUIRE(controller_tools_present());
    TempDir dir;
    const std::string archives = dir.file("archives");
    fs::create_directories(archives + "/srv01");
    make_source_disk(dir, archives + "/srv01/monday.tib");
    ControllerProcess controller(dir, dir.file("controller"), 0, archives);
    // libvirt's own test driver (in-process): the disk is made in its pool, then the direct
    // restore fails (the pool is not on this machine), so the recovery ends at once.
    REQUIRE(controller.ctl("hypervisor add lab --uri test:///default --pool default-pool").exit_code == 0);
    const nlohmann::json queued = controller.api("POST", "/api/recoveries",
                                                 {{"server", "srv01"}, {"to", {{"vm", {{"hypervisor", "lab"}, {"name", "srv01-x"}, {"direct", true}}}}}});
    REQUIRE(queued["status"] == 201);
    const std::string id = queued["body"]["id"];
    std::string token = file_bytes(dir.file("controller") + "/operator-token");
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
    const auto stream = [&](const std::string& extra) {
        return run("curl -sS -N --max-time 60 --cacert " + sh_quote(controller.ca_file()) + " -H " + sh_quote("Authorization: Bearer " + token) + " " +
                   extra + " " + sh_quote(controller.url() + "/api/recoveries/" + id + "/stream"));
    };
    const RunResult whole = stream("");
    INFO(whole.out + whole.err + controller.log());
    REQUIRE(whole.exit_code == 0);  // the stream ended by itself, with the recovery
    CHECK(whole.out.rfind("retry: 1000\n\n", 0) == 0);
    CHECK_THAT(whole.out, Catch::Contains("id: 1\ndata: {") && Catch::Contains("\"event\":\"recovery_started\"") &&
                              Catch::Contains("\"event\":\"step_failed\"") && Catch::Contains("event: recovery\ndata: {"));
    std::smatch last;
    REQUIRE(std::regex_search(whole.out, last, std::regex("event: recovery\ndata: (\\{[^\n]*\\})\n\n$")));
    CHECK(nlohmann::json::parse(last[1].str())["state"] == "failed");
    // A browser that reconnects says what it saw last, and is sent only what came after.
    const RunResult rest = stream("-H 'Last-Event-ID: 3'");
    CHECK(rest.out.find("\nid: 3\n") == std::string::npos);
    CHECK(rest.out.find("id: 1\n") == std::string::npos);
    CHECK_THAT(rest.out, Catch::Contains("id: 4\ndata: {"));
    // Nobody's stream, and an unknown recovery's, are refused.
    CHECK(run("curl -sS -o /dev/null -w '%{http_code}' --cacert " + sh_quote(controller.ca_file()) + " " +
              sh_quote(controller.url() + "/api/recoveries/" + id + "/stream")).out == "401");
    CHECK(run("curl -sS -o /dev/null -w '%{http_code}' --cacert " + sh_quote(controller.ca_file()) + " -H " + sh_quote("Authorization: Bearer " + token) +
              " " + sh_quote(controller.url() + "/api/recoveries/recovery-99/stream")).out == "404");
    // A job's stream is the same route (the browser test follows a real agent's job through it).
    CHECK(run("curl -sS -o /dev/null -w '%{http_code}' --cacert " + sh_quote(controller.ca_file()) + " -H " + sh_quote("Authorization: Bearer " + token) +
              " " + sh_quote(controller.url() + "/api/jobs/job-99/stream")).out == "404");
    CHECK(run("curl -sS -o /dev/null -w '%{http_code}' --cacert " + sh_quote(controller.ca_file()) + " " +
              sh_quote(controller.url() + "/api/jobs/job-1/stream")).out == "401");
}
