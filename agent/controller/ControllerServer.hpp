#pragma once
/// The reference controller's network side: one TLS port that speaks HTTPS (the REST API of
/// docs/api.md, and the recovery files with range requests) and WSS (agents, docs/protocol.md).
/// Everything runs on one I/O thread, so the Store and the table of connected agents need no
/// locks; the state lives in SQLite, so a restart picks up every job where the agents left it.

#include "net/WebSocketChannel.hpp"
#include "controller/AcceptLoop.hpp"
#include "controller/AccountStore.hpp"
#include "controller/Api.hpp"
#include "controller/ConsoleAccess.hpp"
#include "controller/LoginGuard.hpp"
#include "controller/RecoveryRunner.hpp"
#include "controller/ReplicaCatalog.hpp"
#include "controller/BootServer.hpp"
#include "controller/FileRanges.hpp"
#include "controller/Store.hpp"
#include "controller/Uploads.hpp"
#include "recovery/ServerArchives.hpp"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

namespace dagda::controller {

struct ControllerSettings {
    std::string state_dir;                ///< database, certificates, operator token
    std::string listen_address = "127.0.0.1";
    unsigned short port = 8443;           ///< 0: any free port (tests)
    std::vector<std::string> names;       ///< subjectAltNames of a new certificate; default: the listen address
    std::string archives_dir;             ///< served under /files/GRANT/ to the jobs that read them; "" for none
    std::string archive_store;            ///< a bucket's settings file (docs/archive-store.md) instead of the folder; "" for none
    std::chrono::seconds archive_url_lifetime{24 * 3600};  ///< how long a job's pre-signed URLs of the bucket last
    std::string public_url;               ///< how agents reach this controller; default https://HOST:PORT
    std::string public_host;              ///< HOST of that default: the listen address unless given (a VM's 10.0.2.2)
    int heartbeat_seconds = 10;
    /// How often the server certificate is checked, and renewed in the last third of its life.
    std::chrono::seconds certificate_check_every = std::chrono::hours(12);
    /// Connections served at once (agents, API clients, file reads); one more is closed at once.
    /// 0: the open-file limit less a reserve for the database and the files being served.
    std::size_t max_connections = 0;
    /// Connections that have not yet sent their first request header (10 s at most each); one more is closed at once.
    std::size_t max_pending_connections = 64;
    std::size_t boot_max_connections = 256;   ///< the boot port's own cap: iPXE clients fetching scripts and files
    bool boot_console_for_unknown = false;    ///< a card no enrolment names boots the console, not its next device
    std::optional<unsigned short> boot_port;  ///< the plain-HTTP boot port (BootServer); none: no PXE serving
    std::string boot_files_dir;               ///< the live image's pxe/ folder (vmlinuz, initrd.img)
    std::string helper_iso;                   ///< the live ISO helper VMs boot ("" : recoveries to VMs in direct mode only)
    std::chrono::seconds helper_hello{600};   ///< how long a started helper VM has to say hello
    std::string kernel_options = "console=tty0 console=ttyS0,115200";  ///< in every iPXE script
    std::vector<std::pair<std::string, std::string>> replication_adapters;  ///< NAME, PROGRAM (docs/replication.md)
    std::chrono::seconds replication_timeout{120};  ///< how long an adapter has to answer
    std::chrono::seconds replica_scan{30};          ///< how often replicas are brought up to date and adapters asked
};

class ControllerServer : private ApiHooks, private HelperControl {
public:
    /// Opens the state (making the CA, certificate and operator token on the first
    /// start) and binds the port. Throws Error on a port in use or unreadable state.
    ControllerServer(boost::asio::io_context& io, ControllerSettings settings);
    /// Waits for the file reads under way: the io_context must have stopped, and still exist.
    ~ControllerServer();
    /// Starts accepting; the caller runs the io_context.
    void start();

    unsigned short port() const noexcept { return port_; }
    /// The boot port's generic iPXE script (what DHCP names for iPXE clients), or "" without one.
    const std::string& boot_script_url() const noexcept { return boot_script_url_; }
    const std::string& pin() const noexcept { return pin_; }
    /// When the TLS certificate expires (Unix seconds); it is renewed months before.
    std::int64_t certificate_expires() const noexcept { return certificate_expires_; }
    const std::string& ca_file() const noexcept { return ca_file_; }
    const std::string& operator_token_file() const noexcept { return operator_token_file_; }
    /// How agents reach this controller: --public-url, else https://HOST:PORT (after start()).
    const std::string& public_url() const noexcept { return settings_.public_url; }

private:
    boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket, ConnectionSlot slot);
    /// Renews the TLS certificate in the last third of its life (net/Certificates.hpp), for a
    /// controller that runs for months.
    boost::asio::awaitable<void> renew_certificate_in_time();
    /// GET or HEAD of /files/GRANT/NAME: NAME if the job of that grant may read it now.
    boost::asio::awaitable<bool> serve_archive(boost::beast::ssl_stream<boost::beast::tcp_stream>& stream,
                                               const boost::beast::http::request<boost::beast::http::string_body>& request);
    /// GET, PUT or POST of /uploads/GRANT/SERVER/FILE (ControllerUploads.cpp), its header read:
    /// refused before the body unless the job of that grant may upload FILE now. Returns whether
    /// the connection may serve another request.
    boost::asio::awaitable<bool> serve_upload(boost::beast::ssl_stream<boost::beast::tcp_stream>& stream, boost::beast::flat_buffer& buffer,
                                              boost::beast::http::request_parser<boost::beast::http::string_body>& parser);
    /// Removes the unfinished uploads of jobs that have ended.
    void discard_ended_uploads();
    /// GET or HEAD of the console's page (/) and assets (/console/…) (ControllerConsole.cpp).
    boost::asio::awaitable<bool> serve_console_asset(boost::beast::ssl_stream<boost::beast::tcp_stream>& stream,
                                                     const boost::beast::http::request<boost::beast::http::string_body>& request);
    /// GET /api/recoveries/ID/stream and /api/jobs/ID/stream (KIND "recoveries" or "jobs"): the
    /// recovery or job and its events as server-sent events, each as it happens (checked every
    /// 250 ms), until it ends; the connection ends with it.
    boost::asio::awaitable<void> serve_event_stream(boost::beast::ssl_stream<boost::beast::tcp_stream>& stream,
                                                    const boost::beast::http::request<boost::beast::http::string_body>& request,
                                                    const std::string& kind, const std::string& id, bool viewer);
    /// GET /api/servers/SERVER/generations/FILE/files and …/download (ControllerFiles.cpp): a
    /// folder of a generation's volume, or a file or folder of it streamed; for operators.
    /// Returns whether the connection may serve another request.
    boost::asio::awaitable<bool> serve_generation_files(boost::beast::ssl_stream<boost::beast::tcp_stream>& stream,
                                                        const boost::beast::http::request<boost::beast::http::string_body>& request,
                                                        const Caller& caller, const std::string& address);
    /// The body of a download: `dagda tib extract ARCHIVE PATH - [--zip|--tar] OPTIONS…`'s output as chunks.
    boost::asio::awaitable<bool> stream_download(boost::beast::ssl_stream<boost::beast::tcp_stream>& stream,
                                                 const boost::beast::http::request<boost::beast::http::string_body>& request,
                                                 const Caller& caller, const std::string& address, const std::string& archive,
                                                 const std::vector<std::string>& options, const std::string& path, const std::string& as,
                                                 const std::string& what);
    /// POST /api/recoveries/ID/restore-files (ControllerRestoreFiles.cpp): files of a later
    /// generation copied onto the disk of the VM recovery ID made, while the VM is off.
    boost::asio::awaitable<bool> serve_restore_files(boost::beast::ssl_stream<boost::beast::tcp_stream>& stream,
                                                     const boost::beast::http::request<boost::beast::http::string_body>& request,
                                                     const Caller& caller, const std::string& address, const std::string& id);
    /// The work of restore-files, on a console work thread; throws ApiError with the refusal.
    nlohmann::json restore_files(const std::string& id, const std::string& body);
    /// /api/session, /api/users and /api/audit, for a caller already admitted (ConsoleAccess),
    /// from `address`. Returns whether the connection may serve another request.
    boost::asio::awaitable<bool> serve_console_api(boost::beast::ssl_stream<boost::beast::tcp_stream>& stream,
                                                   const boost::beast::http::request<boost::beast::http::string_body>& request,
                                                   const Caller& caller, const std::string& address);
    /// Runs `work` on a file reader thread and resumes with its result (or exception) here.
    template <class Work>
    boost::asio::awaitable<std::invoke_result_t<Work>> on_readers(Work work) {
        co_return co_await boost::asio::co_spawn(
            readers_.executor(), [work]() -> boost::asio::awaitable<std::invoke_result_t<Work>> { co_return work(); }, boost::asio::use_awaitable);
    }
    /// Runs the console's slow work (password hashes, listings of a generation's files, bringing
    /// files back) on threads of its own: minutes of it never hold up an agent's archive reads.
    template <class Work>
    boost::asio::awaitable<std::invoke_result_t<Work>> on_console_work(Work work) {
        co_return co_await boost::asio::co_spawn(
            console_work_.executor(), [work]() -> boost::asio::awaitable<std::invoke_result_t<Work>> { co_return work(); }, boost::asio::use_awaitable);
    }
    /// The plan as this connection's agent must read it: its archive URLs on the origin the agent
    /// dialled (a QEMU guest's 10.0.2.2, a NAT's address), which its trust is registered for.
    nlohmann::json plan_for(const net::WebSocketChannel& channel, const nlohmann::json& plan) const;
    boost::asio::awaitable<void> agent_session(std::shared_ptr<net::WebSocketChannel> channel);
    boost::asio::awaitable<void> write_loop(std::shared_ptr<net::WebSocketChannel> channel);
    static std::string challenge_frame(const std::string& nonce);
    /// Checks the hello; registers the agent and sends welcome (and its job) or returns the
    /// refusal frame to send before closing.
    std::optional<std::string> admit(net::WebSocketChannel& channel, const std::string& frame, const std::string& nonce);
    void handle_frame(net::WebSocketChannel& channel, const std::string& frame);
    void end_session(net::WebSocketChannel& channel);
    static void log_session_end(const net::WebSocketChannel& channel, const boost::system::error_code& code);
    void on_agent_message(net::WebSocketChannel& channel, const protocol::Message& message);
    void on_event(net::WebSocketChannel& channel, const protocol::Message& message);
    void offer_unfinished_job(net::WebSocketChannel& channel);
    std::int64_t now() const;

    bool agent_connected(const std::string& agent_id) override;
    void job_submitted(const std::string& agent_id, const std::string& job_id) override;
    void job_cancel_requested(const std::string& agent_id, const std::string& job_id) override;
    void recovery_queued() override;
    void recovery_cancel_requested(const std::string& id) override;

    // HelperControl (ControllerHelpers.cpp), for the recovery runner's thread.
    template <class Work>
    auto on_io_thread(Work work) -> decltype(work());
    HelperTrust helper_trust() override;
    std::string renew_token(const std::string& enrolment) override;
    std::optional<AgentPresence> agent(const std::string& agent_id) override;
    std::string submit_job(const std::string& agent_id, const nlohmann::json& plan, const FileGrant& grant) override;
    std::optional<JobRecord> job(const std::string& id) override;
    EventPage job_events(const std::string& id, std::int64_t after) override;
    void cancel_job(const std::string& id) override;

    boost::asio::io_context& io_;
    ControllerSettings settings_;
    Store store_;
    boost::asio::ssl::context tls_;
    boost::asio::ip::tcp::acceptor acceptor_;
    unsigned short port_ = 0;
    std::string pin_, ca_file_, operator_token_file_;
    std::vector<std::string> certificate_names_;
    std::int64_t certificate_expires_ = 0;
    std::string dagda_binary_;  ///< this program, run for `dagda tib` work of its own process
    std::string files_url_;  ///< settings_.public_url + "/files": the origin plans are made with
    FileReaders readers_;
    FileReaders console_work_;  ///< two threads as well, for on_console_work
    std::unique_ptr<ArchiveStore> archive_store_;  ///< the folder's or the bucket's servers; null for none
    std::unique_ptr<Api> api_;
    std::unique_ptr<AccountStore> accounts_;  ///< the console's users, sessions and audit log
    LoginGuard login_guard_;
    std::unique_ptr<Uploads> uploads_;  ///< with an archive folder
    std::unique_ptr<ReplicaEngine> replica_engine_;  // before the catalog and the API, which use it
    std::unique_ptr<ReplicaCatalog> replicas_;
    std::unique_ptr<RecoveryRunner> recoveries_;
    std::atomic<bool> closing_{false};  ///< being destroyed: on_io_thread answers no more
    std::unique_ptr<BootServer> boot_;
    BootScriptSettings boot_scripts_;
    std::string boot_script_url_;
    std::map<std::string, std::shared_ptr<net::WebSocketChannel>> connected_;  ///< agent id → its live connection
    /// A server's generations as the files pages last read them, with the modification time of
    /// its folder then: a folder click reads no archive again until a generation comes or goes.
    recovery::ServerSummary listed_server(const std::string& name);
    std::mutex listed_mutex_;
    std::map<std::string, std::pair<std::int64_t, recovery::ServerSummary>> listed_servers_;
    std::set<std::string> restoring_;  ///< recoveries whose VM is having files brought back (I/O thread)
    std::set<std::string> cancels_;  ///< jobs whose cancel is still to be delivered to their agent
};

}  // namespace dagda::controller
