// The web console's side of the TLS port (docs/api.md, "Console"): its page and assets at / and
// /console/, logging in and out (/api/session), users (/api/users) and the audit log
// (/api/audit). Password hashes are made and checked on the console's work threads: argon2id
// takes a tenth of a second and 64 MiB by design, which the I/O thread must not spend. The work
// given to on_console_work captures by reference: GCC 12 destroys a lambda that owns strings twice when it
// is a temporary of a co_await expression.

#include "controller/ConsoleAssets.hpp"
#include "controller/ControllerHttp.hpp"
#include "controller/ControllerServer.hpp"

#include "core/Error.hpp"
#include "core/Url.hpp"
#include "protocol/Proof.hpp"

#include <algorithm>
#include <initializer_list>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>

namespace dagda::controller {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::use_awaitable;
using nlohmann::json;

namespace {

// What the console's documents may load and do: only this origin's own scripts and styles, no
// inline script, no framing (clickjacking), no other origin to send anything to.
constexpr const char* content_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

void harden(http::response<http::string_body>& response) {
    response.set("Content-Security-Policy", content_policy);
    response.set("X-Content-Type-Options", "nosniff");
    response.set("X-Frame-Options", "DENY");
    response.set("Referrer-Policy", "no-referrer");
    response.set(http::field::strict_transport_security, "max-age=31536000");
}

std::string session_cookie_header(const std::string& token, std::int64_t max_age) {
    return std::string(session_cookie) + "=" + token + "; Path=/; Max-Age=" + std::to_string(max_age) + "; Secure; HttpOnly; SameSite=Strict";
}

/// The hash an unknown name's login is checked against; made once, on a console work thread, the
/// first time an unknown name tries to log in.
std::string decoy_hash() {
    static const std::string hash = AccountStore::hash_password(protocol::random_nonce());
    return hash;
}

json session_json(const Caller& caller) {
    return {{"user", caller.user}, {"role", caller.role}, {"csrf", caller.csrf}, {"expires", caller.expires}};
}

json users_json(const std::vector<UserRecord>& users) {
    json out = json::array();
    for (const UserRecord& user : users) out.push_back({{"name", user.name}, {"role", user.role}, {"created", user.created}});
    return {{"users", out}};
}

/// The JSON object of a request body, or null.
json object_of(const std::string& body) {
    json parsed = json::parse(body, nullptr, false);
    return parsed.is_object() ? parsed : json();
}

/// The first key of `body` outside `known`, or "": a misspelt key is refused, never ignored, as
/// everywhere in the API.
std::string unknown_key(const json& body, std::initializer_list<const char*> known) {
    if (!body.is_object()) return "";
    for (const auto& item : body.items())
        if (std::none_of(known.begin(), known.end(), [&](const char* k) { return item.key() == k; })) return item.key();
    return "";
}

std::string string_field(const json& body, const char* key) {
    return body.is_object() && body.contains(key) && body[key].is_string() ? body[key].get<std::string>() : "";
}

}  // namespace

asio::awaitable<bool> ControllerServer::serve_console_asset(beast::ssl_stream<beast::tcp_stream>& stream,
                                                            const http::request<http::string_body>& request) {
    const std::string path(request.target().substr(0, request.target().find('?')));
    const ConsoleAsset* asset = find_console_asset(path == "/" ? "/console/index.html" : path);
    http::response<http::string_body> response{asset ? http::status::ok : http::status::not_found, request.version()};
    response.set(http::field::server, "dagda-controller");
    response.set(http::field::content_type, asset ? asset->content_type : "text/plain; charset=utf-8");
    // The page is the binary's own: a new controller's assets must never be mixed with a cached old one.
    response.set(http::field::cache_control, "no-cache");
    harden(response);
    response.keep_alive(request.keep_alive());
    if (request.method() != http::verb::head) response.body() = asset ? std::string(asset->bytes, asset->size) : "no such page\n";
    response.prepare_payload();
    if (request.method() == http::verb::head) response.content_length(asset ? asset->size : 13);
    co_await http::async_write(stream, response, use_awaitable);
    co_return request.keep_alive();
}

asio::awaitable<bool> ControllerServer::serve_console_api(beast::ssl_stream<beast::tcp_stream>& stream,
                                                          const http::request<http::string_body>& request, const Caller& caller,
                                                          const std::string& address) {
    const std::string target(request.target());
    const std::string path = target.substr(0, target.find('?'));
    const std::string method(request.method_string());
    const std::int64_t at = now();
    int status = 200;
    json body;
    std::string cookie, retry_after, allow;
    const auto refuse = [&](int code, const std::string& error, const std::string& message) {
        status = code;
        body = refusal(error, message);
    };
    if (path == "/api/session") {
        if (method == "POST") {
            const json login = object_of(request.body());
            const std::string name = string_field(login, "name"), password = string_field(login, "password");
            const std::int64_t wait = login_guard_.wait_seconds(address, name, at);
            if (std::string(request[http::field::content_type]).rfind("application/json", 0) != 0) {
                // A form another site posts cannot set this type without the browser asking first.
                refuse(415, "unsupported_media_type", "a login is a JSON body: {\"name\": …, \"password\": …}");
            } else if (name.empty() || password.empty() || !unknown_key(login, {"name", "password"}).empty()) {
                refuse(400, "bad_request", "a login is {\"name\": …, \"password\": …} and nothing else");
            } else if (wait > 0) {
                refuse(429, "too_many_attempts", "too many failed logins: try again in " + std::to_string(wait) + " s");
                retry_after = std::to_string(wait);
                accounts_->audit(at, name, address, "log in", "refused: too many failed attempts");
            } else {
                login_guard_.attempt(address, name, at);
                const std::optional<UserRecord> user = accounts_->user(name);
                // An unknown name costs the same hash check as a known one: the answer's time
                // does not tell which names exist.
                std::string hash;
                if (user) hash = user->password_hash;
                else hash = co_await on_console_work([] { return decoy_hash(); });
                const bool matches = co_await on_console_work([&] { return AccountStore::password_matches(hash, password); });
                const std::optional<UserRecord> still = matches ? accounts_->user(name) : std::nullopt;
                if (!user || !still || still->password_hash != hash) {
                    accounts_->audit(now(), name, address, "log in", "refused: wrong name or password");
                    refuse(401, "unauthorized", "wrong name or password");
                } else {
                    login_guard_.succeeded(address, name, at);
                    const NewSession opened = accounts_->open_session(*still, now());
                    accounts_->audit(now(), name, address, "log in", "ok");
                    cookie = session_cookie_header(opened.token, AccountStore::longest_seconds);
                    body = session_json({Caller::Kind::user, opened.record.user, opened.record.role, opened.token, opened.record.csrf,
                                         opened.record.expires});
                }
            }
        } else if (method == "GET") {
            body = session_json(caller);
        } else if (method == "DELETE") {
            if (caller.kind == Caller::Kind::user) {
                accounts_->close_session(caller.session_token);
                accounts_->audit(at, caller.user, address, "log out", "ok");
            }
            cookie = session_cookie_header("", 0);
            body = {{"logged_out", true}};
        } else {
            allow = "GET, POST, DELETE";
            refuse(405, "method_not_allowed", method + " is not allowed here; use " + allow);
        }
    } else if (path == "/api/audit") {
        // The one query parameter is after=N, as for events; anything else is refused (docs/api.md).
        std::int64_t after = 0;
        const std::string query = target.size() > path.size() ? target.substr(path.size() + 1) : "";
        const bool numeric = query.size() > 6 && query.size() <= 24 && query.rfind("after=", 0) == 0 &&
                             query.find_first_not_of("0123456789", 6) == std::string::npos;
        if (numeric) after = std::stoll(query.substr(6));
        if (!query.empty() && !numeric) {
            refuse(400, "bad_request", "/api/audit takes one query parameter, after=N");
        } else if (method != "GET") {
            allow = "GET";
            refuse(405, "method_not_allowed", method + " is not allowed here; use GET");
        } else {
            constexpr std::size_t page = 500;
            json entries = accounts_->audit_log(after, page + 1);
            const bool more = entries.size() > page;
            if (more) entries.erase(entries.size() - 1);
            body = {{"entries", entries}, {"more", more}};
        }
    } else if (path == "/api/users" && method == "GET") {
        body = users_json(accounts_->users());
    } else if (path == "/api/users" && method == "POST") {
        const json user = object_of(request.body());
        const std::string name = string_field(user, "name"), role = string_field(user, "role"), password = string_field(user, "password");
        try {
            if (const std::string odd = unknown_key(user, {"name", "role", "password"}); !odd.empty())
                throw Error(ErrorKind::usage, "a user has an unknown key \"" + odd + "\" (it takes name, role and password)");
            AccountStore::check_user(name, role);
            const std::string hash = co_await on_console_work([&] { return AccountStore::hash_password(password); });
            accounts_->add_user(name, role, hash, now());
            status = 201;
            body = {{"name", name}, {"role", role}};
        } catch (const Error& e) {
            refuse(e.kind() == ErrorKind::refused ? 409 : 400, e.kind() == ErrorKind::refused ? "conflict" : "bad_request", e.what());
        }
    } else if (path.rfind("/api/users/", 0) == 0) {
        const std::string rest = path.substr(std::string("/api/users/").size());
        const bool password_path = rest.size() > 9 && rest.substr(rest.size() - 9) == "/password";
        const std::string name = password_path ? rest.substr(0, rest.size() - 9) : rest;
        if (password_path && method == "POST") {
            const json change = object_of(request.body());
            const std::string password = string_field(change, "password");
            try {
                if (const std::string odd = unknown_key(change, {"password"}); !odd.empty())
                    throw Error(ErrorKind::usage, "a password change has an unknown key \"" + odd + "\" (it takes password)");
                const std::string hash = co_await on_console_work([&] { return AccountStore::hash_password(password); });
                if (!accounts_->set_password(name, hash)) refuse(404, "not_found", "no user \"" + name + "\"");
                else body = {{"name", name}, {"sessions_ended", true}};
            } catch (const Error& e) {
                refuse(400, "bad_request", e.what());
            }
        } else if (!password_path && method == "DELETE") {
            if (!accounts_->remove_user(name)) refuse(404, "not_found", "no user \"" + name + "\"");
            else body = {{"removed", name}};
        } else {
            allow = password_path ? "POST" : "DELETE";
            refuse(405, "method_not_allowed", method + " is not allowed here; use " + allow);
        }
    } else {
        allow = "GET, POST";
        refuse(405, "method_not_allowed", method + " is not allowed here; use " + allow);
    }
    // Logins audit themselves (with the name tried); every other change is audited here.
    if (method != "GET" && path != "/api/session")
        accounts_->audit(now(), caller.user, address, method + " " + path, status < 400 ? "ok" : "refused: " + body.value("message", ""));
    auto response = json_response(request.version(), request.keep_alive(), status, body, allow);
    if (!cookie.empty()) response.set(http::field::set_cookie, cookie);
    if (!retry_after.empty()) response.set(http::field::retry_after, retry_after);
    co_await http::async_write(stream, response, use_awaitable);
    co_return request.keep_alive();
}

asio::awaitable<void> ControllerServer::serve_event_stream(beast::ssl_stream<beast::tcp_stream>& stream,
                                                           const http::request<http::string_body>& request, const std::string& kind,
                                                           const std::string& id, bool viewer) {
    // The same answers as GET /api/KIND/ID and …/events, pushed as they change: each
    // event once, with its seq as the event's id, so a browser that reconnects (a controller
    // restarted) sends Last-Event-ID and goes on from there.
    std::int64_t after = 0;
    try {
        after = std::stoll(std::string(request["Last-Event-ID"]).empty() ? "0" : std::string(request["Last-Event-ID"]));
    } catch (const std::exception&) {
        after = 0;
    }
    const auto ask = [&](const std::string& target) { return api_->handle({"GET", target, "", "", true, viewer}, now()); };
    const std::string resource = "/api/" + kind + "/" + id;
    const bool job = kind == "jobs";
    const ApiResponse first = ask(resource);
    if (first.status != 200) {
        auto response = json_response(request.version(), false, first.status, first.body);
        co_await http::async_write(stream, response, use_awaitable);
        co_return;
    }
    http::response<http::empty_body> header{http::status::ok, request.version()};
    header.set(http::field::server, "dagda-controller");
    header.set(http::field::content_type, "text/event-stream");
    header.set(http::field::cache_control, "no-store");
    header.keep_alive(false);  // the stream ends with the connection
    http::response_serializer<http::empty_body> serializer(header);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
    co_await http::async_write_header(stream, serializer, use_awaitable);
    asio::steady_timer timer(co_await asio::this_coro::executor);
    std::string shown;
    std::string out = "retry: 1000\n\n";  // a reconnect after a second
    auto last_write = std::chrono::steady_clock::now();
    for (;;) {
        const ApiResponse events = ask(resource + "/events?after=" + std::to_string(after));
        const ApiResponse recovery = ask(resource);
        if (events.status != 200 || recovery.status != 200) break;
        for (const json& event : events.body["events"]) {
            after = event.value("seq", after);
            out += "id: " + std::to_string(after) + "\ndata: " + event.dump() + "\n\n";
        }
        const std::string now_shown = recovery.body.dump();
        if (now_shown != shown) out += std::string(job ? "event: job" : "event: recovery") + "\ndata: " + now_shown + "\n\n";
        shown = now_shown;
        // A comment now and then: proxies and the browser see the stream is alive.
        if (out.empty() && std::chrono::steady_clock::now() - last_write > std::chrono::seconds(15)) out = ": still here\n\n";
        if (!out.empty()) {
            beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
            co_await asio::async_write(stream, asio::buffer(out), use_awaitable);
            out.clear();
            last_write = std::chrono::steady_clock::now();
        }
        const std::string state = recovery.body.value("state", "");
        if (state == "succeeded" || state == "failed" || state == "cleaned" || state == "cancelled" || (job && state == "refused")) break;
        if (events.body.value("more", false)) continue;  // a page more waits to be sent
        timer.expires_after(std::chrono::milliseconds(250));
        co_await timer.async_wait(use_awaitable);
    }
}

}  // namespace dagda::controller
