#pragma once
/// The controller's state in SQLite: enrolments (a name and its token), agents, jobs and their
/// events. Every change is committed before it is acknowledged, so a restarted controller loses
/// nothing and picks up the jobs that were running (issue 6, docs/protocol.md).

#include "controller/Sqlite.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dagda::controller {

struct AgentRecord {
    std::string id, enrolment, machine_id, boot_id, agent_version;
    nlohmann::json inventory;
    std::int64_t last_seen = 0;
};

struct JobRecord {
    std::string id, agent_id, state;  ///< state: queued, offered, running, succeeded, failed, cancelled
    nlohmann::json plan;
    std::int64_t created = 0, updated = 0;
    std::int64_t acked = 0;           ///< every event 1..acked is held
};

class Store {
public:
    /// Opens or creates the database at `path` (schema version 1).
    explicit Store(const std::string& path);

    /// A new enrolment named `name` (a machine's name for the operator) and its fresh token, to
    /// hand to that machine's agent. Refuses a name in use (Error{refused}).
    std::string enrol(const std::string& name);

    /// Admits an agent's hello, or throws Error{refused} starting "unauthorized:": an unknown
    /// enrolment, a proof that is not HMAC(token, nonce), or a token already bound to another
    /// machine. Binds the token to `machine_id` on first use; records the agent; returns its id.
    std::string admit(const std::string& enrolment, const std::string& proof, const std::string& nonce, const std::string& machine_id,
                      const std::string& boot_id, const std::string& agent_version, const nlohmann::json& inventory, std::int64_t now);
    std::vector<AgentRecord> agents();
    std::optional<AgentRecord> agent(const std::string& id);

    /// Queues a plan for an agent; returns the job's id.
    std::string submit_job(const std::string& agent_id, const nlohmann::json& plan, std::int64_t now);
    std::optional<JobRecord> job(const std::string& id);
    /// The agent's job still to run or running (to offer again after a reconnect or restart).
    std::optional<JobRecord> unfinished_job(const std::string& agent_id);
    void set_job_state(const std::string& job, const std::string& state, std::int64_t now);

    /// Stores event `seq` of `job`; false when it was already held (a resend after a reconnect).
    bool add_event(const std::string& job, std::int64_t seq, const nlohmann::json& event);
    /// The job's events after `seq`, in order.
    std::vector<std::pair<std::int64_t, nlohmann::json>> events(const std::string& job, std::int64_t after);

private:
    Database db_;
};

}  // namespace dagda::controller
