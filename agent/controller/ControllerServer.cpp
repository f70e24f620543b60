// The controller's port: TLS, then either an HTTP request (REST API, files) or a WebSocket
// upgrade on /agent (ControllerSessions.cpp). One coroutine per connection; its try block is that
// connection's one error exit, so a bad peer ends only its own connection.

#include "controller/ControllerServer.hpp"

#include "controller/AcceptLoop.hpp"
#include "controller/ControllerHttp.hpp"
#include "core/Error.hpp"
#include "core/OwnerOnlyFile.hpp"
#include "core/Url.hpp"
#include "net/Certificates.hpp"
#include "protocol/Proof.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <sys/resource.h>
#include <sys/stat.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>

namespace dagda::controller {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::use_awaitable;

namespace {

constexpr std::size_t largest_api_body = 8u << 20;  // docs/api.md: a plan is far smaller
constexpr std::size_t largest_upload_piece = 16u << 20;  // docs/api.md, "Uploads"
constexpr auto request_timeout = std::chrono::seconds(30);
/// A new connection has this long for its TLS handshake and its first request header; until
/// then it is pending and holds none of the served connections' slots (AcceptLoop.hpp).
constexpr auto first_header_deadline = std::chrono::seconds(10);
constexpr const char* tls12_ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                                      "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

/// "https://HOST" from a Host header, when it is a plain host name or address with an optional
/// port; "" for anything else (it becomes part of URLs the agent opens).
std::string origin_of(const std::string& host) {
    if (host.empty() || host.size() > 255) return "";
    for (const char c : host)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' && c != '[' && c != ']') return "";
    return "https://" + host;
}

/// A secret kept in a 0600 file, made (32 random bytes as hex, written atomically) when missing.
std::string read_or_make_secret(const std::string& path) {
    if (std::filesystem::exists(path)) {
        std::ifstream in(path);
        std::string secret;
        std::getline(in, secret);
        if (secret.size() != 64) throw Error(ErrorKind::failed, path + " does not hold a 64-digit secret; remove it to make a new one");
        return secret;
    }
    const std::string secret = protocol::random_nonce();
    write_owner_only(path, secret + "\n", Durability::durable);
    return secret;
}

/// The open-file limit, less what the controller needs besides served connections: the pending
/// ones, the database and the files being served.
std::size_t default_max_connections(std::size_t pending) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 4096;
    const std::size_t files = static_cast<std::size_t>(limit.rlim_cur);
    return files > 128 + pending ? files - 64 - pending : files / 2;
}

}  // namespace

ControllerServer::ControllerServer(asio::io_context& io, ControllerSettings settings)
    : io_(io), settings_(std::move(settings)),
      store_((std::filesystem::create_directories(settings_.state_dir), settings_.state_dir + "/controller.db")),
      tls_(asio::ssl::context::tls_server), acceptor_(io) {
    ::chmod(settings_.state_dir.c_str(), 0700);  // tokens and keys live here
    if (settings_.max_connections == 0) settings_.max_connections = default_max_connections(settings_.max_pending_connections);
    std::vector<std::string> names = settings_.names;
    if (names.empty()) {
        boost::system::error_code not_an_address;
        asio::ip::make_address(settings_.listen_address, not_an_address);
        names.push_back((not_an_address ? "DNS:" : "IP:") + settings_.listen_address);
    }
    certificate_names_ = names;
    const net::CertificateFiles files = net::ensure_controller_certificates(settings_.state_dir + "/tls", names);
    ca_file_ = files.ca_certificate;
    certificate_expires_ = files.expires;
    // The key's pin: a renewed certificate keeps the key, so agents keep their pin.
    pin_ = net::key_pin(files.server_certificate);
    tls_.set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1 | asio::ssl::context::no_compression);
    // TLS 1.2 with forward secrecy and AEAD only (no CBC, no SHA-1 MACs); TLS 1.3's suites are all AEAD.
    if (::SSL_CTX_set_cipher_list(tls_.native_handle(), tls12_ciphers) != 1)
        throw Error(ErrorKind::failed, "OpenSSL refused the controller's TLS 1.2 cipher list");
    tls_.use_certificate_chain_file(files.server_certificate);
    tls_.use_private_key_file(files.server_key, asio::ssl::context::pem);
    operator_token_file_ = settings_.state_dir + "/operator-token";
    const std::string operator_token = read_or_make_secret(operator_token_file_);
    // Controllers before issue 13 opened every archive with one key kept here; each job has its
    // own grant now, so the old key must open nothing, not even by mistake.
    std::filesystem::remove(settings_.state_dir + "/files-key");

    const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(settings_.listen_address), settings_.port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    boost::system::error_code error;
    acceptor_.bind(endpoint, error);
    if (error) throw Error(ErrorKind::failed, "cannot listen on " + settings_.listen_address + ":" + std::to_string(settings_.port) + ": " + error.message());
    acceptor_.listen(asio::socket_base::max_listen_connections);
    port_ = acceptor_.local_endpoint().port();
    if (settings_.public_url.empty()) {
        const std::string host = settings_.public_host.empty() ? settings_.listen_address : settings_.public_host;
        const bool v6 = host.find(':') != std::string::npos;
        settings_.public_url = "https://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port_);
    }
    if (settings_.boot_port) {
        if (settings_.boot_files_dir.empty())
            throw Error(ErrorKind::usage, "a boot port needs the live image's pxe folder (--boot-files), where vmlinuz and initrd.img are");
        boot_ = std::make_unique<BootServer>(io_, store_, readers_, settings_.listen_address, *settings_.boot_port, settings_.boot_files_dir,
                                             settings_.boot_max_connections, settings_.boot_console_for_unknown);
        // Machines reach the boot port and the agent port by the host they reach the API by.
        const Url public_url = parse_url(settings_.public_url, ErrorKind::usage);
        const std::string host = public_url.host.find(':') != std::string::npos ? "[" + public_url.host + "]" : public_url.host;
        boot_scripts_.boot_url = "http://" + host + ":" + std::to_string(boot_->port()) + "/boot";
        boot_scripts_.controller_url = "wss://" + host + ":" + (public_url.port.empty() ? "443" : public_url.port);
        boot_scripts_.pin = pin_;
        boot_scripts_.kernel_options = settings_.kernel_options;
        boot_script_url_ = boot_scripts_.boot_url + "/boot.ipxe";
    }
    std::error_code no_iso;
    if (!settings_.helper_iso.empty() && !std::filesystem::is_regular_file(settings_.helper_iso, no_iso))
        throw Error(ErrorKind::usage, "the helper ISO " + settings_.helper_iso + " is not a file (--helper-iso: the live image's dagda-rescue.iso)");
    ApiSettings api;
    api.operator_token = operator_token;
    api.archives_dir = settings_.archives_dir;
    if (!settings_.archive_store.empty()) archive_store_ = make_bucket_store(objectstore::read_bucket_settings(settings_.archive_store));
    else if (!settings_.archives_dir.empty()) archive_store_ = make_folder_store(settings_.archives_dir);
    api.archive_store = archive_store_.get();
    api.archive_url_lifetime = settings_.archive_url_lifetime;
    if (!settings_.archive_store.empty()) api.staging_dir = settings_.state_dir + "/staging";
    files_url_ = settings_.public_url + "/files";
    api.files_url = files_url_;
    api.database = settings_.state_dir + "/controller.db";
    api.helper_iso = settings_.helper_iso;
    std::error_code no_link;
    const std::string dagda_binary = std::filesystem::read_symlink("/proc/self/exe", no_link).string();
    dagda_binary_ = dagda_binary;
    if (archive_store_) {
        // Replicas are kept from the archive store; the engine and the adapters' discovery run on
        // threads of their own (restores and adapter programs take their time).
        ReplicaEngineSettings engine;
        engine.database = api.database;
        engine.archives = archive_store_.get();
        engine.dagda_binary = dagda_binary;
        engine.work_dir = settings_.state_dir + "/replicas";
        engine.scan = settings_.replica_scan;
        engine.freeze_patience = settings_.replication_timeout;
        replica_engine_ = std::make_unique<ReplicaEngine>(std::move(engine));
        std::vector<std::unique_ptr<ReplicationAdapter>> adapters;
        for (const auto& [name, program] : settings_.replication_adapters)
            adapters.push_back(std::make_unique<ExternalAdapter>(name, program, settings_.replication_timeout));
        replicas_ = std::make_unique<ReplicaCatalog>(*replica_engine_, std::move(adapters), settings_.replica_scan);
        api.replicas = replicas_.get();
    } else if (!settings_.replication_adapters.empty()) {
        throw Error(ErrorKind::usage, "replication adapters need an archive store (--archives or --archive-store): replicas are recovered from its servers");
    }
    api_ = std::make_unique<Api>(store_, static_cast<ApiHooks&>(*this), std::move(api));
    accounts_ = std::make_unique<AccountStore>(settings_.state_dir + "/controller.db");
    if (!settings_.archives_dir.empty()) uploads_ = std::make_unique<Uploads>(settings_.archives_dir, dagda_binary);
    else if (!settings_.archive_store.empty()) uploads_ = std::make_unique<Uploads>(settings_.state_dir + "/staging", dagda_binary, archive_store_.get());
    // The recoveries to new VMs run beside the I/O thread: libvirt's calls and restores block.
    RecoveryRunnerSettings runner;
    runner.database = settings_.state_dir + "/controller.db";
    runner.work_dir = settings_.state_dir + "/recoveries";
    runner.dagda_binary = dagda_binary;
    runner.archives_dir = settings_.archives_dir;
    runner.archive_store = archive_store_.get();
    runner.archive_url_lifetime = settings_.archive_url_lifetime;
    runner.control = this;
    runner.helper_iso = settings_.helper_iso;
    runner.helper_hello = settings_.helper_hello;
    runner.replicas = replicas_.get();
    recoveries_ = std::make_unique<RecoveryRunner>(std::move(runner));
}

ControllerServer::~ControllerServer() {
    // The recovery runner first: a step waiting for the I/O thread is told the controller stops.
    closing_ = true;
    if (replicas_) replicas_->cancel_calls();  // an adapter call under way must not hold the stop up to its timeout
    recoveries_.reset();
    uploads_.reset();  // a verification under way is stopped; its upload is committed again after a restart
    replicas_.reset();
    replica_engine_.reset();
    readers_.join();
    console_work_.join();
}

void ControllerServer::recovery_queued() { recoveries_->wake(); }
void ControllerServer::recovery_cancel_requested(const std::string& id) { recoveries_->cancel(id); }

void ControllerServer::start() {
    discard_ended_uploads();  // those of jobs that ended while the controller was down
    recoveries_->start();
    if (replica_engine_) {
        replica_engine_->start();
        replicas_->start();
    }
    asio::co_spawn(io_, renew_certificate_in_time(), asio::detached);
    asio::co_spawn(io_, accept_each(acceptor_, "port " + std::to_string(port_), settings_.max_connections, settings_.max_pending_connections,
                                    [this](asio::ip::tcp::socket socket, ConnectionSlot slot) { return serve(std::move(socket), std::move(slot)); }),
                   asio::detached);
    if (boot_) boot_->start(boot_scripts_);
}

asio::awaitable<void> ControllerServer::renew_certificate_in_time() {
    asio::steady_timer pause(io_);
    for (;;) {
        pause.expires_after(settings_.certificate_check_every);
        boost::system::error_code stopped;
        co_await pause.async_wait(asio::redirect_error(use_awaitable, stopped));
        if (stopped) co_return;
        try {
            const net::CertificateFiles files = net::ensure_controller_certificates(settings_.state_dir + "/tls", certificate_names_);
            if (!files.renewed) continue;
            // New connections present the new certificate; the key, and so the pin, are the same.
            tls_.use_certificate_chain_file(files.server_certificate);
            certificate_expires_ = files.expires;
            std::cerr << "dagda controller: the certificate was renewed; the pin is unchanged\n";
        } catch (const std::exception& e) {
            std::cerr << "dagda controller: cannot renew the certificate (tried again at the next check): " << e.what() << "\n";
        }
    }
}

std::int64_t ControllerServer::now() const {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

asio::awaitable<void> ControllerServer::serve(asio::ip::tcp::socket socket, ConnectionSlot slot) {
    std::string peer = "?", peer_address;
    try {
        const auto remote = socket.remote_endpoint();
        peer_address = peer_address_text(remote.address());
        peer = peer_address + ":" + std::to_string(remote.port());
        beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), tls_);
        beast::get_lowest_layer(stream).expires_after(first_header_deadline);
        co_await stream.async_handshake(asio::ssl::stream_base::server, use_awaitable);
        beast::flat_buffer buffer;
        for (bool first = true;; first = false) {
            http::request_parser<http::string_body> parser;
            ApiAdmission admission;  // who an /api/ request comes from
            parser.header_limit(16 * 1024);
            // The largest body of any route; each route's own limit is applied once its header is read.
            parser.body_limit(largest_upload_piece);
            if (!first) beast::get_lowest_layer(stream).expires_after(request_timeout);
            boost::system::error_code read_error;
            co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(use_awaitable, read_error));
            if (read_error == http::error::end_of_stream || read_error == asio::ssl::error::stream_truncated) break;
            if (!read_error && !slot.established()) {
                auto response = json_response(parser.get().version(), false, 503, refusal("busy", "the controller serves as many connections as it may"));
                co_await http::async_write(stream, response, use_awaitable);
                break;
            }
            if (!read_error) {
                beast::get_lowest_layer(stream).expires_after(request_timeout);
                // An API request without the operator's token or a console session (and, for a
                // change, the session's CSRF token) is refused before its body (up to 8 MiB) is
                // read: strangers cost the controller a header's worth, not a body's.
                const auto& header = parser.get();
                const std::string path(header.target().substr(0, header.target().find('?')));
                if (path == "/api" || path.rfind("/api/", 0) == 0) {
                    admission = admit_api_request(*api_, *accounts_,
                                                  {std::string(header.method_string()), path, std::string(header[http::field::authorization]),
                                                   std::string(header[http::field::cookie]), std::string(header["X-CSRF-Token"])},
                                                  now());
                    if (admission.status != 0) {
                        if (admission.caller.kind != Caller::Kind::nobody)
                            accounts_->audit(now(), admission.caller.user, peer_address, std::string(header.method_string()) + " " + path,
                                             "refused: " + admission.message);
                        auto response = json_response(header.version(), false, admission.status, refusal(admission.code, admission.message));
                        co_await http::async_write(stream, response, use_awaitable);
                        break;
                    }
                }
                if (path.rfind("/uploads/", 0) == 0) {
                    if (!co_await serve_upload(stream, buffer, parser)) break;
                    continue;
                }
                if (parser.content_length() && *parser.content_length() > largest_api_body) read_error = http::error::body_limit;
                parser.body_limit(largest_api_body);  // a chunked body is counted as it comes
                if (!read_error && !parser.is_done()) co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, read_error));
            }
            if (read_error == http::error::body_limit) {
                // Built before co_await: GCC 12 cannot keep a braced list of string literals in a coroutine frame.
                auto response = json_response(11, false, 413, refusal("too_large", "the request body is larger than 8 MiB"));
                co_await http::async_write(stream, response, use_awaitable);
                break;
            }
            if (read_error) throw boost::system::system_error(read_error);
            auto request = parser.release();
            if (beast::websocket::is_upgrade(request)) {
                if (request.target() != "/agent") {
                    auto response = json_response(request.version(), false, 404, refusal("not_found", "agents connect to /agent"));
                    co_await http::async_write(stream, response, use_awaitable);
                    break;
                }
                beast::get_lowest_layer(stream).expires_never();  // the WebSocket's own timeouts take over
                auto channel = std::make_shared<net::WebSocketChannel>(net::SecureWebSocket(std::move(stream)));
                channel->peer = peer;
                channel->peer_address = peer_address;
                channel->origin = origin_of(std::string(request[http::field::host]));
                co_await channel->socket().async_accept(request, use_awaitable);
                co_await agent_session(channel);
                co_return;
            }
            const std::string target(request.target());
            if (target.rfind("/files/", 0) == 0) {
                if (!co_await serve_archive(stream, request)) break;
                continue;
            }
            const std::string path = target.substr(0, target.find('?'));
            static const std::regex event_stream("/api/(recoveries|jobs)/([A-Za-z0-9._-]{1,128})/stream");
            std::smatch streamed;
            if (request.method() == http::verb::get && std::regex_match(path, streamed, event_stream)) {
                co_await serve_event_stream(stream, request, streamed[1].str(), streamed[2].str(),
                                            admission.caller.kind == Caller::Kind::user && admission.caller.role != "operator");
                break;
            }
            static const std::regex restore_files_route("/api/recoveries/([A-Za-z0-9._-]{1,128})/restore-files");
            std::smatch restore_match;
            if (std::regex_match(path, restore_match, restore_files_route)) {
                if (!co_await serve_restore_files(stream, request, admission.caller, peer_address, restore_match[1].str())) break;
                continue;
            }
            static const std::regex generation_files("/api/servers/[^/]+/generations/[^/]+/(files|download)");
            if (std::regex_match(path, generation_files)) {
                if (!co_await serve_generation_files(stream, request, admission.caller, peer_address)) break;
                continue;
            }
            if (path == "/api/session" || path == "/api/audit" || path == "/api/users" || path.rfind("/api/users/", 0) == 0) {
                if (!co_await serve_console_api(stream, request, admission.caller, peer_address)) break;
                continue;
            }
            if (path != "/api" && path.rfind("/api/", 0) != 0 && (request.method() == http::verb::get || request.method() == http::verb::head)) {
                if (!co_await serve_console_asset(stream, request)) break;
                continue;
            }
            ApiRequest api_request{std::string(request.method_string()), target, std::string(request[http::field::authorization]), request.body(),
                                   admission.caller.kind != Caller::Kind::nobody,
                                   admission.caller.kind == Caller::Kind::user && admission.caller.role != "operator"};
            const ApiResponse answer = api_->handle(api_request, now());
            if (request.method() != http::verb::get && request.method() != http::verb::head && admission.caller.kind != Caller::Kind::nobody)
                accounts_->audit(now(), admission.caller.user, peer_address, api_request.method + " " + path,
                                 answer.status < 400 ? "ok" : "refused: " + answer.body.value("message", ""));
            auto response = json_response(request.version(), request.keep_alive(), answer.status, answer.body, answer.allow);
            co_await http::async_write(stream, response, use_awaitable);
            if (!request.keep_alive()) break;
        }
        boost::system::error_code ignored;
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
        co_await stream.async_shutdown(asio::redirect_error(use_awaitable, ignored));
    } catch (const std::exception& e) {
        // A peer that fails the handshake, times out or drops is routine; only say what it was.
        if (std::string(e.what()).find("stream truncated") == std::string::npos)
            std::cerr << "dagda controller: " << peer << ": " << e.what() << "\n";
    }
}

asio::awaitable<bool> ControllerServer::serve_archive(beast::ssl_stream<beast::tcp_stream>& stream,
                                                     const http::request<http::string_body>& request) {
    const auto [key, name] = grant_and_name(std::string(request.target().substr(std::string("/files/").size())));
    // A grant is a job's: it reads the files of that job's generation chain while the job is
    // queued, offered or running, and nothing else (docs/api.md, "Files").
    if (settings_.archives_dir.empty() || !archive_file_name(name) || !store_.file_granted(key, name))
        co_return co_await answer_text(stream, request, http::status::forbidden,
                                       "this URL grants no such file: a job's URL reads its own generation chain, and only while the job runs");
    BeneathRefusal refusal{};
    BeneathFile file = open_beneath(settings_.archives_dir, name, refusal);
    if (refusal == BeneathRefusal::outside || refusal == BeneathRefusal::not_regular) {
        std::cerr << "dagda controller: refused to serve " << name << ": it is not a regular file inside " << settings_.archives_dir << "\n";
        co_return co_await answer_text(stream, request, http::status::forbidden, "the archive is not a regular file inside the archive folder");
    }
    if (refusal != BeneathRefusal::none) co_return co_await answer_text(stream, request, http::status::not_found, "no such file");
    co_return co_await serve_file(stream, request, std::move(file), readers_);
}

nlohmann::json ControllerServer::plan_for(const net::WebSocketChannel& channel, const nlohmann::json& plan) const {
    // The job's files and its upload on the origin the agent dialled.
    const std::string origin = settings_.public_url;
    if (channel.origin.empty() || channel.origin == origin) return plan;
    const std::vector<std::string> routes{"/files/", "/uploads/"};
    nlohmann::json out = plan;
    std::vector<nlohmann::json*> pending{&out};
    while (!pending.empty()) {
        nlohmann::json* value = pending.back();
        pending.pop_back();
        if (value->is_structured()) {
            for (auto& child : *value) pending.push_back(&child);
            continue;
        }
        if (!value->is_string()) continue;
        for (const std::string& route : routes)
            if (value->get_ref<const std::string&>().rfind(origin + route, 0) == 0) {
                *value = channel.origin + value->get_ref<const std::string&>().substr(origin.size());
                break;
            }
    }
    return out;
}

}  // namespace dagda::controller
