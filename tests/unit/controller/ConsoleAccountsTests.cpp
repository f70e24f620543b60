// Issue 16, the console's people: accounts with real argon2id hashes (libsodium), sessions that
// expire and end, the login guard, and who may make which /api/ request on its header alone.

#include "ApiTestBench.hpp"

#include "controller/AccountStore.hpp"
#include "controller/ConsoleAccess.hpp"
#include "controller/LoginGuard.hpp"
#include "core/Error.hpp"

#include <catch2/catch.hpp>

using namespace dagda::controller;
using dagda::Error;

namespace {

/// A bench whose database also holds the console's accounts.
struct AccountsBench {
    ApiTestBench api;
    AccountStore accounts{api.dir.file("controller.db")};

    AccountsBench() {
        accounts.add_user("alice", "operator", AccountStore::hash_password("correct horse battery"), 1000);
        accounts.add_user("bob", "viewer", AccountStore::hash_password("viewer's own password"), 1000);
    }
    ApiAdmission admit(const std::string& method, const std::string& path, const std::string& cookie, const std::string& csrf = "",
                    const std::string& authorization = "", std::int64_t now = 2000) {
        return admit_api_request(api.api, accounts, {method, path, authorization, cookie, csrf}, now);
    }
};

}  // namespace

TEST_CASE("Accounts: passwords are argon2id hashes that check only the right password", "[controller][console]") {
    const std::string hash = AccountStore::hash_password("correct horse battery");
    CHECK(hash.rfind("$argon2id$", 0) == 0);
    CHECK(hash.find("correct") == std::string::npos);
    CHECK(AccountStore::password_matches(hash, "correct horse battery"));
    CHECK_FALSE(AccountStore::password_matches(hash, "correct horse battery "));
    CHECK_FALSE(AccountStore::password_matches(hash, ""));
    CHECK_FALSE(AccountStore::password_matches("", "correct horse battery"));
    CHECK_FALSE(AccountStore::password_matches("$argon2id$garbage", "correct horse battery"));
    CHECK(AccountStore::hash_password("correct horse battery") != hash);  // salted
    CHECK_THROWS_WITH(AccountStore::hash_password("short"), Catch::Contains("at least 10"));
    CHECK_THROWS_WITH(AccountStore::check_user("<b>x</b>", "viewer"), Catch::Contains("A-Z a-z 0-9"));
    CHECK_THROWS_WITH(AccountStore::check_user("carol", "admin"), Catch::Contains("viewer or operator"));
}

TEST_CASE("Accounts: sessions expire when idle or old, and end with a new password or the user's removal", "[controller][console]") {
    AccountsBench bench;
    CHECK_THROWS_AS(bench.accounts.add_user("alice", "viewer", "x", 1), Error);
    const UserRecord alice = *bench.accounts.user("alice");
    const NewSession opened = bench.accounts.open_session(alice, 1000);
    CHECK(opened.token.size() == 64);
    CHECK(opened.record.csrf.size() == 64);
    CHECK(opened.record.csrf != opened.token);
    // Used within the idle time, it lives on, up to its longest life.
    std::int64_t now = 1000;
    for (; now < 1000 + AccountStore::longest_seconds - 600; now += AccountStore::idle_seconds - 60) REQUIRE(bench.accounts.session(opened.token, now));
    CHECK_FALSE(bench.accounts.session(opened.token, 1000 + AccountStore::longest_seconds));
    // Its expiry moves on at most once a minute (no write for every request).
    const NewSession busy = bench.accounts.open_session(alice, 3000);
    CHECK(bench.accounts.session(busy.token, 3030)->expires == 3000 + AccountStore::idle_seconds);
    CHECK(bench.accounts.session(busy.token, 3100)->expires == 3100 + AccountStore::idle_seconds);
    // Idle too long: gone.
    const NewSession idle = bench.accounts.open_session(alice, 5000);
    CHECK(bench.accounts.session(idle.token, 5000 + AccountStore::idle_seconds - 1));
    CHECK_FALSE(bench.accounts.session(idle.token, 5000 + 2 * AccountStore::idle_seconds));
    CHECK_FALSE(bench.accounts.session("", 5000));
    CHECK_FALSE(bench.accounts.session(std::string(64, 'a'), 5000));
    // A new password, or the user's removal, ends their sessions; a logout its own.
    const NewSession before = bench.accounts.open_session(alice, 9000);
    REQUIRE(bench.accounts.set_password("alice", AccountStore::hash_password("another long password")));
    CHECK_FALSE(bench.accounts.session(before.token, 9001));
    const NewSession bobs = bench.accounts.open_session(*bench.accounts.user("bob"), 9000);
    CHECK(bench.accounts.remove_user("bob"));
    CHECK_FALSE(bench.accounts.session(bobs.token, 9001));
    CHECK_FALSE(bench.accounts.remove_user("bob"));
    const NewSession last = bench.accounts.open_session(*bench.accounts.user("alice"), 9000);
    bench.accounts.close_session(last.token);
    CHECK_FALSE(bench.accounts.session(last.token, 9001));
}

TEST_CASE("Accounts: the audit log keeps who did what, in order, a page at a time", "[controller][console]") {
    AccountsBench bench;
    for (int i = 1; i <= 5; ++i) bench.accounts.audit(100 + i, "alice", "127.0.0.1", "POST /api/jobs", "ok " + std::to_string(i));
    const auto first = bench.accounts.audit_log(0, 3);
    REQUIRE(first.size() == 3);
    CHECK(first[0]["outcome"] == "ok 1");
    CHECK(first[0]["who"] == "alice");
    const auto rest = bench.accounts.audit_log(first[2]["seq"].get<std::int64_t>(), 10);
    REQUIRE(rest.size() == 2);
    CHECK(rest[1]["outcome"] == "ok 5");
    // What a caller chooses (a name tried, a path) is kept bounded and valid UTF-8, so the log always encodes.
    bench.accounts.audit(200, std::string(100000, 'x'), "127.0.0.1", "POST /api/\xff\xfe", "refused: caf\xc3");
    const auto odd = bench.accounts.audit_log(rest[1]["seq"].get<std::int64_t>(), 10);
    REQUIRE(odd.size() == 1);
    CHECK(odd[0]["who"].get<std::string>().size() < 200);
    CHECK_NOTHROW(odd.dump());
    CHECK(odd[0]["action"] == "POST /api/\xef\xbf\xbd\xef\xbf\xbd");
}

TEST_CASE("Accounts: the audit log keeps its newest entries only, so it stays bounded", "[controller][console]") {
    ApiTestBench bench;  // its Store makes the schema
    AccountStore accounts(bench.dir.file("controller.db"), 5);
    for (int i = 1; i <= 20; ++i) accounts.audit(100 + i, "mallory", "192.0.2.1", "log in", "refused " + std::to_string(i));
    const auto kept = accounts.audit_log(0, 100);
    REQUIRE(kept.size() == 5);
    CHECK(kept[0]["seq"] == 16);
    CHECK(kept[4]["outcome"] == "refused 20");
}

TEST_CASE("LoginGuard: five failures from an address or on a name make the next attempts wait, and right passwords do not count", "[controller][console]") {
    LoginGuard guard;
    // Right passwords do not count: an office behind one address logs in all day.
    for (int i = 0; i < 10; ++i) {
        REQUIRE(guard.wait_seconds("10.0.0.1", "alice", 50) == 0);
        guard.attempt("10.0.0.1", "alice", 50);
        guard.succeeded("10.0.0.1", "alice", 50);
    }
    for (int i = 0; i < 5; ++i) {
        CHECK(guard.wait_seconds("10.0.0.1", "alice", 100 + i) == 0);
        guard.attempt("10.0.0.1", "alice", 100 + i);  // counted before its password is checked, then wrong
    }
    CHECK(guard.wait_seconds("10.0.0.1", "alice", 105) == LoginGuard::window_seconds - 5);
    CHECK(guard.wait_seconds("10.0.0.1", "carol", 105) > 0);   // that address, any name
    CHECK(guard.wait_seconds("10.0.0.2", "alice", 105) > 0);   // that name, from anywhere
    CHECK(guard.wait_seconds("10.0.0.2", "carol", 105) == 0);
    guard.attempt("10.0.0.3", "alice", 105);
    guard.succeeded("10.0.0.3", "alice", 105);
    CHECK(guard.wait_seconds("10.0.0.2", "alice", 105) == 0);
    CHECK(guard.wait_seconds("10.0.0.1", "alice", 105) > 0);  // the address stays counted
    CHECK(guard.wait_seconds("10.0.0.1", "alice", 100 + LoginGuard::window_seconds) == 0);  // its first failure left the window
}

TEST_CASE("ConsoleAccess: the token, a session, its CSRF token and the user's role decide on the header alone", "[controller][console]") {
    AccountsBench bench;
    CHECK(cookie_value("a=1; dagda_session=abc; b=2", "dagda_session") == "abc");
    CHECK(cookie_value("xdagda_session=abc", "dagda_session").empty());
    CHECK(cookie_value("", "dagda_session").empty());
    const NewSession alice = bench.accounts.open_session(*bench.accounts.user("alice"), 1990);
    const NewSession bob = bench.accounts.open_session(*bench.accounts.user("bob"), 1990);
    const std::string alice_cookie = "theme=dark; dagda_session=" + alice.token, bob_cookie = "dagda_session=" + bob.token;

    CHECK(bench.admit("POST", "/api/session", "").status == 0);  // a login
    CHECK(bench.admit("GET", "/api/agents", "").status == 401);
    CHECK(bench.admit("GET", "/api/agents", "", "", std::string("Bearer ") + ApiTestBench::token).caller.kind == Caller::Kind::token);
    CHECK(bench.admit("GET", "/api/agents", "", "", "Bearer wrong").status == 401);
    CHECK(bench.admit("GET", "/api/agents", alice_cookie).caller.user == "alice");
    CHECK(bench.admit("GET", "/api/agents", "dagda_session=" + std::string(64, '0')).message.find("expired") != std::string::npos);
    // A change needs the session's CSRF token.
    CHECK(bench.admit("POST", "/api/enrolments", alice_cookie).code == "csrf");
    CHECK(bench.admit("POST", "/api/enrolments", alice_cookie, bob.record.csrf).code == "csrf");
    CHECK(bench.admit("POST", "/api/enrolments", alice_cookie, alice.record.csrf).status == 0);
    // A viewer looks; changes only their own password, and logs out.
    CHECK(bench.admit("GET", "/api/recoveries", bob_cookie).status == 0);
    const ApiAdmission pushed = bench.admit("POST", "/api/recoveries", bob_cookie, bob.record.csrf);
    CHECK(pushed.status == 403);
    CHECK_THAT(pushed.message, Catch::Contains("viewer"));
    CHECK(bench.admit("POST", "/api/users/bob/password", bob_cookie, bob.record.csrf).status == 0);
    CHECK(bench.admit("POST", "/api/users/alice/password", bob_cookie, bob.record.csrf).status == 403);
    CHECK(bench.admit("DELETE", "/api/session", bob_cookie, bob.record.csrf).status == 0);
    // An expired session is refused.
    CHECK(bench.admit("GET", "/api/agents", alice_cookie, "", "", 1990 + AccountStore::longest_seconds).status == 401);
}
