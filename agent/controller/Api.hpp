#pragma once
/// The controller's REST API (docs/api.md) as a function from a request to a response: no socket
/// here. The server (ControllerServer) parses HTTP, calls handle(), and writes the answer; the
/// hooks tell the server what the API changed that a connected agent must hear (a job to offer,
/// a cancel). Every /api/ request needs the operator's token (Authorization: Bearer …).
/// Called on the controller's one I/O thread only: Store is not shared between threads.

#include "controller/ArchiveStore.hpp"
#include "controller/RecoveryStore.hpp"
#include "controller/Store.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dagda::controller {

class ReplicaCatalog;

struct ApiRequest {
    std::string method;         ///< GET, POST, …
    std::string target;         ///< path and query, as sent: "/api/jobs/job-3/events?after=4"
    std::string authorization;  ///< the Authorization header's value, or ""
    std::string body;           ///< JSON for POST, or ""
    bool admitted = false;      ///< the server has checked the caller (a token or a console session: ConsoleAccess)
    /// A console viewer: a job's plan is shown without its grant's key, whose URLs would read the
    /// server's backup while the job runs (a backup's data is for operators).
    bool viewer = false;
};

struct ApiResponse {
    int status = 200;
    nlohmann::json body = nlohmann::json::object();  ///< errors: {"error": CODE, "message": TEXT}
    std::string allow;                               ///< 405 only: the Allow header's value ("GET, POST")
};

/// What the API tells the server that owns the agents' connections.
class ApiHooks {
public:
    virtual ~ApiHooks() = default;
    virtual bool agent_connected(const std::string& agent_id) = 0;
    /// A job was queued for `agent_id`: offer it when that agent is connected and idle.
    virtual void job_submitted(const std::string& agent_id, const std::string& job_id) = 0;
    /// The operator cancelled a job that an agent holds (state offered or running).
    virtual void job_cancel_requested(const std::string& agent_id, const std::string& job_id) = 0;
    /// A recovery to a new VM was queued: the recovery runner takes it.
    virtual void recovery_queued() {}
    /// The operator asked to cancel recovery `id` (queued or running): the runner ends it.
    virtual void recovery_cancel_requested(const std::string& /*id*/) {}
};

struct ApiSettings {
    std::string operator_token;  ///< the bearer token /api/ requests must carry
    std::string archives_dir;    ///< TIB archives served under /files/; "" when none
    std::string files_url;       ///< how an agent reaches /files/: "https://HOST:PORT/files"; each job adds its grant's key
    std::string database;        ///< the controller's database, for the recoveries (RecoveryStore); "" keeps none
    std::string helper_iso;      ///< the live ISO helper VMs boot; "": recoveries to VMs in direct mode only
    ReplicaCatalog* replicas = nullptr;  ///< the replication adapters; nullptr: no replicas kept
    ArchiveStore* archive_store = nullptr;  ///< where the servers' archives are listed from (the folder or a bucket); nullptr: none
    std::chrono::seconds archive_url_lifetime{24 * 3600};  ///< how long a job's pre-signed URLs of a bucket last
    std::string staging_dir = "";  ///< with a bucket: where uploads land before they go into it
};

class Api {
public:
    Api(Store& store, ApiHooks& hooks, ApiSettings settings);
    ~Api();
    /// Never throws for a request's content: a bad request is a 4xx response naming what is wrong.
    ApiResponse handle(const ApiRequest& request, std::int64_t now);
    /// Whether an Authorization header's value carries the operator's token (compared in constant
    /// time). The server asks before it reads a request's body.
    bool authorized(const std::string& authorization) const;

private:
    using Query = std::map<std::string, std::string>;

    ApiResponse route(const ApiRequest& request, const std::vector<std::string>& path, const Query& query, std::int64_t now);
    ApiResponse enrol(const nlohmann::json& body);
    ApiResponse arm_boot(const std::string& name);
    ApiResponse list_enrolments();
    ApiResponse list_agents();
    ApiResponse show_agent(const std::string& id);
    nlohmann::json agent_json(const AgentRecord& agent);
    // ApiJobs.cpp
    ApiResponse submit_job(const nlohmann::json& body, std::int64_t now);
    ApiResponse list_jobs(const Query& query);
    ApiResponse show_job(const std::string& id, bool viewer);
    ApiResponse job_events(const std::string& id, const Query& query);
    ApiResponse cancel_job(const std::string& id, std::int64_t now);
    JobRecord existing_job(const std::string& id);
    // ApiHypervisors.cpp
    ApiResponse add_hypervisor(const nlohmann::json& body);
    ApiResponse list_hypervisors();
    ApiResponse show_hypervisor(const std::string& name);
    ApiResponse remove_hypervisor(const std::string& name);
    // ApiServers.cpp
    ApiResponse list_servers();
    ApiResponse show_server(const std::string& name);
    // ApiRecoveries.cpp
    RecoveryStore& recoveries();
    ApiResponse submit_recovery(const nlohmann::json& body, std::int64_t now);
    ApiResponse list_recoveries();
    ApiResponse show_recovery(const std::string& id);
    ApiResponse recovery_events(const std::string& id, const Query& query);
    ApiResponse clean_up_recovery(const std::string& id, std::int64_t now);
    ApiResponse cancel_recovery(const std::string& id, std::int64_t now);
    // ApiReplicas.cpp
    ReplicaCatalog& replicas();
    ApiResponse list_replicas();
    ApiResponse add_replica(const nlohmann::json& body, std::int64_t now);
    /// freeze, resume or remove a built-in session
    ApiResponse change_replica(const std::string& id, const std::string& verb);
    // ApiRecover.cpp
    /// The plan, and in `grant` the key and files of the generation chain its URLs name.
    nlohmann::json bucket_recovery_plan(const AgentRecord& agent, const std::string& name, std::optional<unsigned> generation, const std::string& disk,
                                        const nlohmann::json& inoculation);
    nlohmann::json recovery_plan_for(const AgentRecord& agent, const nlohmann::json& recover, FileGrant& grant);
    // ApiBackup.cpp
    /// The plan backing up a disk of the agent into the archive folder, and in `grant` the key,
    /// the chain it reads and the one file it may upload.
    nlohmann::json backup_plan_for(const AgentRecord& agent, const nlohmann::json& backup, FileGrant& grant);

    Store& store_;
    ApiHooks& hooks_;
    ApiSettings settings_;
    std::unique_ptr<ArchiveStore> own_archive_store_;  ///< when settings_ named a folder but no store
    std::unique_ptr<RecoveryStore> recoveries_;
};

}  // namespace dagda::controller
