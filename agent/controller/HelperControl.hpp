#pragma once
/// What a helper-mode recovery (docs/vm-recovery.md) asks of the controller's I/O thread, which
/// alone owns the Store and the agents' connections: the helper's enrolment and token, whether
/// its agent is connected, and the job it runs. The recovery runner's thread calls these; the
/// controller runs each on its I/O thread and hands back the answer.

#include "controller/Store.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace dagda::controller {

/// The controller is stopping: a step cut short by it is neither done nor failed, and a restart
/// takes it again.
struct ControllerStopping : std::runtime_error {
    ControllerStopping() : std::runtime_error("the controller is stopping") {}
};

/// How a helper's agent reaches and trusts this controller: its settings CD's words.
struct HelperTrust {
    std::string controller_url;  ///< wss://HOST:PORT (the controller's public URL)
    std::string pin;             ///< the controller key's pin (dagda.pin=)
    std::string ca_pem;          ///< the controller's CA certificate, for dagda.ca= ("" for none)
    std::string files_url;       ///< https://HOST:PORT/files: the archive URLs of the helper's plan
};

/// An agent as a recovery waits for it: its record, and whether its connection is open now.
struct AgentPresence {
    AgentRecord agent;
    bool connected = false;
};

class HelperControl {
public:
    virtual ~HelperControl() = default;
    virtual HelperTrust helper_trust() = 0;
    /// A fresh token for the helper enrolment `name` (Store::renew_token).
    virtual std::string renew_token(const std::string& enrolment) = 0;
    /// The agent `agent_id`, if it has ever said hello.
    virtual std::optional<AgentPresence> agent(const std::string& agent_id) = 0;
    /// Queues `plan` for the agent (offered at once when it is connected); returns the job's id.
    virtual std::string submit_job(const std::string& agent_id, const nlohmann::json& plan, const FileGrant& grant) = 0;
    virtual std::optional<JobRecord> job(const std::string& id) = 0;
    /// The job's events after `after` (a page).
    virtual EventPage job_events(const std::string& id, std::int64_t after) = 0;
    /// Ends a job the recovery no longer waits for: cancelled when queued, a cancel sent when running.
    virtual void cancel_job(const std::string& id) = 0;
};

}  // namespace dagda::controller
