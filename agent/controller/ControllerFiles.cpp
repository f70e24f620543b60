// Files of any generation (docs/api.md, "Files of a generation"): a folder's listing and a
// download (a file, or a folder as a zip or tar stream) of a server's backup generation, read
// straight from its archive. The reading is `dagda tib ls` and `dagda tib extract … -`, run as
// programs of their own: libntfs-3g parses what the backed-up server wrote, and a volume that
// crashes it or hangs it must cost one download, never the controller. A download streams the
// program's output as the body's chunks: a folder of any size starts at once and holds one
// buffer of memory; a program that fails midway leaves the chunked body unended, so the
// browser or curl sees a cut download, never a whole-looking one.

#include "controller/ApiError.hpp"
#include "controller/ArchiveUrlsFile.hpp"
#include "controller/ControllerHttp.hpp"
#include "controller/ControllerServer.hpp"
#include "controller/ProgramOutput.hpp"

#include "core/Error.hpp"
#include "core/StreamingProgram.hpp"
#include "core/Subprocess.hpp"
#include "core/Url.hpp"
#include "net/TlsBulkWriter.hpp"
#include "protocol/Proof.hpp"
#include "recovery/ServerArchives.hpp"

#include <sys/stat.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <cstring>
#include <iostream>

namespace dagda::controller {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::use_awaitable;
using nlohmann::json;

namespace {

/// What the request asks: SERVER, FILE (a generation's file name), "files" or "download".
struct FilesRequest {
    std::string server, generation, action;
    std::string path = "/";   ///< in the volume, '/' separated
    std::string volume;       ///< digits, or "" for the generation's one NTFS volume
    std::string as;           ///< "", "zip" or "tar"
};

FilesRequest parse_files_request(const std::string& target) {
    const std::size_t question = target.find('?');
    const std::vector<std::string> parts = path_segments(target.substr(0, question));
    FilesRequest out;
    out.server = parts.at(2);
    out.generation = parts.at(4);
    out.action = parts.at(5);
    const auto query = question == std::string::npos ? std::map<std::string, std::string>{} : query_parameters(target.substr(question + 1));
    if (out.action == "files") refuse_unknown_parameters(query, {"path", "volume"});
    else refuse_unknown_parameters(query, {"path", "volume", "as"});
    if (query.count("path")) out.path = query.at("path");
    else if (out.action == "download") bad_request("a download names its \"path\" in the volume");
    check_volume_path(out.path);
    if (query.count("volume")) {
        out.volume = query.at("volume");
        if (out.volume.empty() || out.volume.size() > 9 || out.volume.find_first_not_of("0123456789") != std::string::npos)
            bad_request("\"volume\" is a volume's number (the chain's \"volumes\")");
    }
    if (query.count("as")) {
        out.as = query.at("as");
        if (out.as != "zip" && out.as != "tar") bad_request("\"as\" is zip or tar");
    }
    return out;
}

/// The last part of a volume path ("/Users/ann/" → "ann"), or `fallback` for the root.
std::string last_name(const std::string& path, const std::string& fallback) {
    const std::size_t end = path.find_last_not_of("/\\");
    if (end == std::string::npos) return fallback;
    const std::size_t start = path.find_last_of("/\\", end);
    return path.substr(start + 1, end - start);
}

/// attachment; filename="ascii"; filename*=UTF-8''escaped (RFC 6266): any name, safely quoted.
std::string attachment(const std::string& name) {
    std::string ascii, escaped;
    static const char* hex = "0123456789ABCDEF";
    for (const unsigned char c : name) {
        const bool plain = std::isalnum(c) || c == '.' || c == '-' || c == '_';
        ascii += plain || c == ' ' ? static_cast<char>(c) : '_';
        if (plain) escaped += static_cast<char>(c);
        else escaped += std::string{'%', hex[c >> 4], hex[c & 15]};
    }
    return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + escaped;
}

/// A failed `dagda tib` as the API's refusal: its own words, its exit code's meaning.
ApiError program_refusal(int exit_code, const std::string& message) {
    if (message.find("a folder cannot be written to standard output") != std::string::npos)
        return ApiError(400, "bad_request", "that path is a folder: download it with as=zip or as=tar");
    if (exit_code == 2) return ApiError(400, "bad_request", message);
    if (message.find("No such file or directory") != std::string::npos || message.find(" is not a folder") != std::string::npos)
        return ApiError(404, "not_found", message);
    return ApiError(422, "unreadable", message);
}

/// What `dagda` printed as its error: "dagda: error: MESSAGE" on stderr, or the "error" object
/// of --json on stdout.
std::string program_message(const std::string& out, const std::string& err) {
    const json doc = json::parse(out, nullptr, false);
    if (doc.is_object() && doc.contains("error") && doc["error"].is_object()) return doc["error"].value("message", "");
    std::string text = last_lines(err, 1);
    const std::string prefix = "dagda: error: ";
    if (text.rfind(prefix, 0) == 0) text = text.substr(prefix.size());
    return text;
}

/// The chunk of `size` bytes at `buffer[before]`, framed in place: its size line written just
/// before it and CRLF just after (RFC 9112 7.1).
asio::const_buffer framed_chunk(std::vector<char>& buffer, std::size_t before, std::size_t size) {
    char line[16];
    const int length = std::snprintf(line, sizeof line, "%zx\r\n", size);
    std::memcpy(buffer.data() + before - length, line, static_cast<std::size_t>(length));
    std::memcpy(buffer.data() + before + size, "\r\n", 2);
    return asio::buffer(buffer.data() + before - length, static_cast<std::size_t>(length) + size + 2);
}

}  // namespace

/// A path inside a volume: '/' first, no "." or ".." part (it would climb out of what the
/// generation holds), bounded. '\' counts as '/', as Windows and `dagda tib` read it.
void check_volume_path(const std::string& path) {
    if (path.empty() || (path[0] != '/' && path[0] != '\\')) bad_request("\"path\" is a path in the volume, starting with '/'");
    if (path.size() > 4096) bad_request("\"path\" is longer than 4096 bytes");
    for (std::size_t start = 1; start <= path.size();) {
        std::size_t end = path.find_first_of("/\\", start);
        if (end == std::string::npos) end = path.size();
        const std::string part = path.substr(start, end - start);
        if (part == "." || part == "..") bad_request("\"path\" may not hold \".\" or \"..\": it names a file or folder inside the volume");
        start = end + 1;
    }
}

/// `text` without the archive folder's path: the API names files, never the controller's folders.
std::string without_folder(std::string text, const std::string& folder) {
    const std::string prefix = folder + "/";
    for (std::size_t at; !folder.empty() && (at = text.find(prefix)) != std::string::npos;) text.erase(at, prefix.size());
    return text;
}

recovery::ServerSummary ControllerServer::listed_server(const std::string& name) {
    // A bucket keeps its servers' summaries itself, while their objects' ETags are unchanged.
    if (settings_.archives_dir.empty()) return archive_store_->server(name);
    struct stat folder {};
    // The name is checked by server_in before anything is kept; an unknown one is never cached.
    const std::string path = settings_.archives_dir + "/" + name;
    const bool dated = name.find('/') == std::string::npos && ::stat(path.c_str(), &folder) == 0;
    const std::int64_t modified = folder.st_mtim.tv_sec * 1'000'000'000LL + folder.st_mtim.tv_nsec;
    if (dated) {
        const std::lock_guard<std::mutex> lock(listed_mutex_);
        const auto found = listed_servers_.find(name);
        if (found != listed_servers_.end() && found->second.first == modified) return found->second.second;
    }
    recovery::ServerSummary server = recovery::server_in(settings_.archives_dir, name);
    if (dated) {
        const std::lock_guard<std::mutex> lock(listed_mutex_);
        if (listed_servers_.size() >= 1000) listed_servers_.clear();  // bounded: a thousand servers' summaries at most
        listed_servers_[name] = {modified, server};
    }
    return server;
}

asio::awaitable<bool> ControllerServer::serve_generation_files(beast::ssl_stream<beast::tcp_stream>& stream,
                                                              const http::request<http::string_body>& request, const Caller& caller,
                                                              const std::string& address) {
    const std::string target(request.target());
    int status = 0;
    json body;
    std::string allow;
    FilesRequest asked;
    asked.action = target.substr(0, target.find('?')).ends_with("/download") ? "download" : "files";
    std::string archive;
    ProgramArchive from_bucket{""};  // its URLs' file lasts until the listing or download ends
    try {
        if (request.method() != http::verb::get) {
            allow = "GET";
            throw ApiError(405, "method_not_allowed", std::string(request.method_string()) + " is not allowed here; use GET");
        }
        // A backup's files are the server's data (documents, the registry's secrets): an operator's.
        if (caller.kind == Caller::Kind::user && caller.role != "operator")
            throw ApiError(403, "forbidden", "a viewer may not read a server's files; an operator may");
        asked = parse_files_request(target);
        if (!archive_store_) not_found("this controller keeps no archives (no archive folder or store)");
        recovery::ServerSummary server;
        std::string failure;
        bool found = false;
        co_await on_console_work([&] {
            try {
                server = listed_server(asked.server);
                for (const recovery::ChainSummary& chain : server.chains)
                    for (const recovery::GenerationSummary& g : chain.generations) found = found || g.file == asked.generation;
                if (!found) return 0;
                if (settings_.archives_dir.empty())  // a bucket: read through its URLs, in a file of ours
                    from_bucket = program_archive(*archive_store_, server.name, asked.generation,
                                                  settings_.state_dir + "/console-" + protocol::random_nonce() + ".urls", std::chrono::hours(2));
                archive = settings_.archives_dir.empty() ? from_bucket.location : settings_.archives_dir + "/" + server.name + "/" + asked.generation;
            } catch (const Error& e) {
                failure = e.what();
            }
            return 0;
        });
        if (!failure.empty()) not_found(without_folder(failure, settings_.archives_dir));
        if (!found) not_found("server " + asked.server + " has no generation " + asked.generation);
        if (!asked.volume.empty()) archive += ":" + asked.volume;
    } catch (const ApiError& e) {
        status = e.status();
        body = refusal(e.code(), e.what());
    }
    if (status == 0 && asked.action == "files") {
        ProgramResult listed;
        std::vector<std::string> argv{dagda_binary_, "tib", "ls", archive, asked.path, "--json"};
        for (const std::string& option : from_bucket.options()) argv.push_back(option);
        ProgramBounds bounds;
        bounds.timeout = std::chrono::minutes(2);
        bounds.most_output = 64u << 20;
        co_await on_console_work([&] {
            listed = run_bounded_program(argv, bounds);
            return 0;
        });
        const json entries = json::parse(listed.out, nullptr, false);
        if (listed.exit_code == 0 && entries.is_array()) {
            status = 200;
            body = {{"server", asked.server}, {"generation", asked.generation}, {"path", asked.path}, {"entries", entries}};
            if (!asked.volume.empty()) body["volume"] = std::stoul(asked.volume);
        } else {
            const ApiError refused = program_refusal(listed.exit_code, listed.timed_out ? "the listing took longer than 2 minutes"
                                                                                      : without_folder(program_message(listed.out, listed.err), settings_.archives_dir));
            status = refused.status();
            body = refusal(refused.code(), refused.what());
        }
    }
    if (status != 0) {
        if (asked.action == "download" && caller.kind != Caller::Kind::nobody)
            accounts_->audit(now(), caller.user, address,
                             asked.server.empty() ? "GET " + target : "download " + asked.server + "/" + asked.generation + " " + asked.path,
                             "refused: " + body.value("message", ""));
        auto response = json_response(request.version(), request.keep_alive(), status, body, allow);
        co_await http::async_write(stream, response, use_awaitable);
        co_return request.keep_alive();
    }
    const std::vector<std::string> options = from_bucket.options();
    co_return co_await stream_download(stream, request, caller, address, archive, options, asked.path, asked.as,
                                       asked.server + "/" + asked.generation);
}

asio::awaitable<bool> ControllerServer::stream_download(beast::ssl_stream<beast::tcp_stream>& stream,
                                                       const http::request<http::string_body>& request, const Caller& caller,
                                                       const std::string& address, const std::string& archive,
                                                       const std::vector<std::string>& options, const std::string& path, const std::string& as,
                                                       const std::string& what) {
    std::vector<std::string> argv{dagda_binary_, "tib", "extract", archive, path, "-"};
    argv.insert(argv.end(), options.begin(), options.end());
    if (!as.empty()) argv.push_back("--" + as);
    StreamingProgram program(argv);
    asio::posix::stream_descriptor output(co_await asio::this_coro::executor, program.take_output().release());
    // Each piece is read between room for its chunk's size line and its CRLF, so the chunk is one
    // contiguous run for the bulk writer: one socket write per piece, not one per TLS record.
    constexpr std::size_t before = 16, piece = 1 << 20;
    std::vector<char> buffer(before + piece + 2);
    const asio::mutable_buffer into(buffer.data() + before, piece);
    // The first piece, or the end: a program that fails before writing anything is answered as
    // an error (no such file, a folder without zip or tar), not as an empty download.
    boost::system::error_code read_error;
    std::size_t got = co_await asio::async_read(output, into, asio::transfer_at_least(256 * 1024),
                                                asio::redirect_error(use_awaitable, read_error));
    if (read_error && read_error != asio::error::eof) throw boost::system::system_error(read_error);
    bool ended = read_error == asio::error::eof;
    int code = 0;
    bool program_waited = false;
    const std::string audited = "download " + what + " " + path + (as.empty() ? "" : " as " + as);
    if (got == 0 && ended) {
        code = co_await on_readers([&] { return program.wait(); });
        program_waited = true;
        if (code != 0) {
            const ApiError refused = program_refusal(code, without_folder(program_message("", program.errors()), settings_.archives_dir));
            if (caller.kind != Caller::Kind::nobody) accounts_->audit(now(), caller.user, address, audited, std::string("refused: ") + refused.what());
            auto response = json_response(request.version(), request.keep_alive(), refused.status(), refusal(refused.code(), refused.what()));
            co_await http::async_write(stream, response, use_awaitable);
            co_return request.keep_alive();
        }
    }
    if (caller.kind != Caller::Kind::nobody) accounts_->audit(now(), caller.user, address, audited, "ok");
    http::response<http::empty_body> header{http::status::ok, request.version()};
    header.set(http::field::server, "dagda-controller");
    header.set(http::field::content_type, as == "zip" ? "application/zip" : as == "tar" ? "application/x-tar" : "application/octet-stream");
    header.set(http::field::content_disposition, attachment(last_name(path, "volume") + (as.empty() ? "" : "." + as)));
    header.set(http::field::cache_control, "no-store");
    header.set("X-Content-Type-Options", "nosniff");
    header.keep_alive(request.keep_alive());
    header.chunked(true);
    http::response_serializer<http::empty_body> serializer(header);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(60));
    co_await http::async_write_header(stream, serializer, use_awaitable);
    net::TlsBulkWriter records;
    for (;;) {
        if (got > 0) {
            beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(60));  // a reader that stops for a minute is gone
            co_await records.write(stream, framed_chunk(buffer, before, got));
        }
        if (ended) break;
        got = co_await asio::async_read(output, into, asio::transfer_at_least(256 * 1024),
                                        asio::redirect_error(use_awaitable, read_error));
        if (read_error && read_error != asio::error::eof) throw boost::system::system_error(read_error);
        ended = read_error == asio::error::eof;
    }
    if (!program_waited) code = co_await on_readers([&] { return program.wait(); });
    if (code != 0) {
        // Cut: the chunked body stays unended and the connection closes. The audit log's "ok" at the
        // start is followed by what became of it.
        const std::string failure = without_folder(program_message("", program.errors()), settings_.archives_dir);
        std::cerr << "dagda controller: a download of " << what << " " << path << " failed midway: " << failure << "\n";
        if (caller.kind != Caller::Kind::nobody) accounts_->audit(now(), caller.user, address, audited, "failed midway: " + failure);
        co_return false;
    }
    co_await asio::async_write(stream, http::make_chunk_last(), use_awaitable);
    co_return request.keep_alive();
}

}  // namespace dagda::controller
