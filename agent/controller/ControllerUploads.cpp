// The TLS port's /uploads/KEY/SERVER/FILE (docs/api.md, "Uploads"), and the helpers the port's
// handlers share (ControllerHttp.hpp). A job's upload grant is checked on the request's header,
// before its body (up to 16 MiB) is read; pieces are written and commits started on the file
// reader threads, so the I/O thread never waits for the disk.

#include "controller/ControllerHttp.hpp"
#include "controller/ControllerServer.hpp"

#include "core/Error.hpp"
#include "core/Url.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

#include <charconv>
#include <chrono>
#include <iostream>

namespace dagda::controller {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::use_awaitable;
using nlohmann::json;

http::response<http::string_body> json_response(unsigned version, bool keep_alive, int status, const json& body, const std::string& allow) {
    http::response<http::string_body> response{static_cast<http::status>(status), version};
    if (!allow.empty()) response.set(http::field::allow, allow);
    response.set(http::field::server, "dagda-controller");
    response.set(http::field::content_type, "application/json");
    response.set(http::field::cache_control, "no-store");
    response.keep_alive(keep_alive);
    response.body() = body.dump() + "\n";
    response.prepare_payload();
    return response;
}

std::pair<std::string, std::string> grant_and_name(const std::string& rest) {
    const auto slash = rest.find('/');
    const std::string key = rest.substr(0, slash), escaped = slash == std::string::npos ? "" : rest.substr(slash + 1);
    // SERVER/FILE as the plan %-escaped each part; a part that decodes to a '/' is no part.
    std::string name;
    for (std::size_t start = 0, end; start <= escaped.size() && !escaped.empty(); start = end + 1) {
        end = std::min(escaped.find('/', start), escaped.size());
        const auto part = url_unescaped(escaped.substr(start, end - start));
        if (!part || part->find('/') != std::string::npos) return {key, ""};
        name += (start == 0 ? "" : "/") + *part;
    }
    return {key, name};
}

namespace {

constexpr const char* upload_methods = "GET, PUT, POST";
constexpr std::uint64_t refused_body_read = 1u << 20;

/// An upload is always a server's generation: SERVER/FILE.tib.
bool upload_name(const std::string& name) {
    return name.find('/') != std::string::npos && archive_file_name(name) && name.size() > 4 && name.compare(name.size() - 4, 4, ".tib") == 0;
}

std::optional<std::uint64_t> offset_of(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

json status_body(const std::string& name, const UploadStatus& status) {
    json body{{"name", name}, {"state", status.state}, {"received", status.received}};
    if (!status.reason.empty()) body["reason"] = status.reason;
    return body;
}

}  // namespace

asio::awaitable<bool> ControllerServer::serve_upload(beast::ssl_stream<beast::tcp_stream>& stream, beast::flat_buffer& buffer,
                                                    http::request_parser<http::string_body>& parser) {
    const unsigned version = parser.get().version();
    const auto grant = grant_and_name(std::string(parser.get().target().substr(std::string("/uploads/").size())));
    const std::string& key = grant.first;
    const std::string& name = grant.second;
    // The body is not read before the grant is proven: a stranger costs a header and at most a
    // small body (read so that the client hears the refusal rather than a reset), never 16 MiB.
    const std::optional<UploadGrant> upload = uploads_ && upload_name(name) ? store_.upload_grant(key, name) : std::nullopt;
    const bool granted = upload.has_value();
    const http::verb method = parser.get().method();
    const bool known = method == http::verb::get || method == http::verb::put || method == http::verb::post;
    if (!granted || !known) {
        if (!parser.is_done() && parser.content_length() && *parser.content_length() <= refused_body_read) {
            boost::system::error_code ignored;
            co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ignored));
        }
        auto response = granted ? json_response(version, false, 405, refusal("method_not_allowed", "an upload takes GET, PUT and POST"), upload_methods)
                                : json_response(version, false, 403, refusal("forbidden", "this URL grants no such upload: a job's upload URL writes its own archive, and only while the job runs"));
        co_await http::async_write(stream, response, use_awaitable);
        co_return false;
    }
    // A piece may come over a slow link: 30 s, and a second for every 256 KiB of it (as a file is
    // given time to be sent), so 8 MiB need about 1 Mbit/s.
    if (parser.content_length()) beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30 + *parser.content_length() / (256 * 1024)));
    if (!parser.is_done()) co_await http::async_read(stream, buffer, parser, use_awaitable);
    const http::request<http::string_body>& request = parser.get();
    const bool keep_alive = request.keep_alive();
    int status = 200;
    json body;
    std::string bad;  // no co_await inside a catch block
    try {
        if (method == http::verb::get) {
            body = status_body(name, co_await on_readers([&] { return uploads_->status(name); }));
        } else if (method == http::verb::put) {
            const auto offset = offset_of(std::string(request["Upload-Offset"]));
            if (!offset) {
                status = 400;
                body = refusal("bad_request", "a piece needs Upload-Offset: N, the byte of the archive it begins at");
            } else {
                const PieceAnswer answer = co_await on_readers([&] { return uploads_->put(name, *offset, request.body()); });
                status = answer.taken ? 200 : 409;
                body = answer.taken ? json{{"received", answer.received}} : refusal("offset_mismatch", answer.refusal);
                body["received"] = answer.received;
            }
        } else {
            const json commit = json::parse(request.body(), nullptr, false);
            const bool shaped = commit.is_object() && commit.contains("size") && commit["size"].is_number_unsigned() && commit.contains("digest") &&
                                commit["digest"].is_string() && commit["digest"].get<std::string>().size() == 64;
            if (!shaped) {
                status = 400;
                body = refusal("bad_request", "a commit is {\"size\": BYTES, \"digest\": \"the generation digest, 64 hex digits\"}");
            } else {
                std::string refused;
                const UploadStatus now = co_await on_readers([&] {
                    return uploads_->commit(name, commit["size"].get<std::uint64_t>(), commit["digest"].get<std::string>(), upload->base, refused);
                });
                status = !refused.empty() ? 409 : now.state == "committed" ? 200 : 202;
                body = refused.empty() ? status_body(name, now) : refusal("incomplete", refused);
            }
        }
    } catch (const std::exception& e) {
        bad = e.what();
    }
    if (!bad.empty()) {
        std::cerr << "dagda controller: upload " << name << ": " << bad << "\n";
        status = 500;
        body = refusal("failed", "the controller could not write the upload: " + bad);
    }
    auto response = json_response(version, keep_alive, status, body);
    co_await http::async_write(stream, response, use_awaitable);
    co_return keep_alive;
}

void ControllerServer::discard_ended_uploads() {
    if (!uploads_) return;
    for (const std::string& name : store_.take_ended_uploads()) {
        try {
            uploads_->discard(name);
        } catch (const std::exception& e) {
            std::cerr << "dagda controller: cannot remove the unfinished upload " << name << ": " << e.what() << "\n";
        }
    }
}

}  // namespace dagda::controller
