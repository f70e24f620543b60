#pragma once
/// The controller's state in SQLite: enrolments (a name and its token), agents, jobs and their
/// events. Every change is committed before it is acknowledged, so a restarted controller loses
/// nothing and picks up the jobs that were running (issue 6, docs/protocol.md).

#include "controller/Sqlite.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
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
    std::string id, agent_id, state;  ///< state: queued, offered, running, succeeded, failed, cancelled, refused
    nlohmann::json plan;
    std::int64_t created = 0, updated = 0;
    std::int64_t acked = 0;           ///< every event 1..acked is held
    std::string reason;               ///< why it reached its state (a refusal's problems, a cancel); "" when none was given
};

/// What a job may read of the archive folder (docs/api.md, "Files"): the files of one generation
/// chain, by a key made for that job alone. The key is good while the job is queued, offered or
/// running, and for nothing else.
/// An archive a job may upload, and the generation it must be incremental on.
struct UploadGrant {
    std::string name;  ///< SERVER/FILE.tib
    /// The planned base, SERVER/FILE.tib in the archive folder ("": a full backup); the commit
    /// refuses an upload on another base. Not known (not checked) for a grant made before schema 10.
    std::optional<std::string> base;
};

struct FileGrant {
    std::string key;                 ///< 64 hex digits, in the job's archive URLs; the Store keeps only its hash
    std::vector<std::string> names;  ///< plain file names in the archive folder
    /// Files the job may upload, each once, while it runs (docs/api.md, "Uploads").
    std::vector<UploadGrant> uploads;
};

/// What became of an event an agent sent.
struct EventAdmission {
    enum class Kind { stored, duplicate, refused } kind = Kind::stored;
    std::string reason;  ///< refused: why, for the agent's `error` answer and the log
};

/// The bounds on what an agent may make the controller keep (issue 13, item 2): an event's size,
/// and a job's events in number and bytes. A legitimate job stays far below them (progress is sent
/// at most once a second per step).
struct EventLimits {
    std::size_t largest_event = 64u << 10;        ///< bigger events are kept cut (long texts shortened)
    std::int64_t job_bytes = 32ll << 20;          ///< past this, events are kept as their kind and step only
    std::int64_t job_events = 200000;             ///< past this, events are refused
};

/// One page of a job's events and whether more are held after it.
struct EventPage {
    std::vector<std::pair<std::int64_t, nlohmann::json>> events;
    bool more = false;
};

/// An enrolment as the operator lists it (never its token).
struct EnrolmentRecord {
    std::string name, mac;      ///< mac: "" for none
    bool armed = false;
    std::string machine_id;     ///< the machine its token is bound to; "" before the first hello
    std::string agent_id;       ///< "agent-NAME" once its agent has connected; "" before
};

/// An agent's hello as the controller checks it.
struct AgentHello {
    std::string enrolment, proof, nonce;  ///< proof: HMAC(token, nonce) for this connection's nonce
    std::string machine_id, boot_id, agent_version;
    nlohmann::json inventory;
    std::string peer_address;  ///< the address the agent's connection comes from (no port)
};

/// An admitted agent, and whether its enrolment's token is now bound to its machine.
struct Admission {
    std::string agent_id;
    /// Why a first hello did not bind the token to its machine ("" when it did, or was bound before).
    std::string not_bound;
};

/// A hypervisor the controller makes VMs on (docs/vm-recovery.md): a libvirt URI (never with a
/// password in it), the storage pool new disks go to, the network new VMs join, and where the
/// user name and password are kept ("" for none: a local or SSH-key connection).
struct HypervisorRecord {
    std::string name, uri, pool, network, credentials_file;
};

/// What the boot port needs to write a machine's iPXE script.
struct BootEnrolment {
    std::string name, token;
    bool armed = false;  ///< the next PXE boot of the card may get the agent and its token
};

class Store {
public:
    /// Opens or creates the database at `path` (an older schema is migrated). Throws Error{failed} for a database of a newer controller.
    explicit Store(const std::string& path);

    /// A new enrolment named `name` (a machine's name for the operator) and its fresh token, to
    /// hand to that machine's agent. `mac` (canonical, see canonical_mac; "" for none) is the
    /// network card the machine boots by PXE with: the boot port serves that machine's script, and
    /// only an agent that reports the card is admitted. Refuses a name or MAC in use (Error{refused}).
    std::string enrol(const std::string& name, const std::string& mac = "");
    /// The enrolment of the machine with this canonical MAC, if one was enrolled with it.
    std::optional<BootEnrolment> enrolment_for_mac(const std::string& mac);
    /// Arms a MAC enrolment for its next PXE boot (the boot port hands that card its agent and
    /// token until the agent's hello is admitted, which disarms it); returns the MAC. A MAC
    /// enrolment starts armed. Throws Error{usage} for an unknown name, Error{refused} for an
    /// enrolment without a MAC.
    std::string arm_boot(const std::string& name);
    /// Every enrolment, sorted by name.
    std::vector<EnrolmentRecord> enrolments();
    /// A fresh token for the enrolment `name` (made when missing), its machine binding forgotten:
    /// a helper VM's, which the controller writes onto the helper's settings CD for each boot
    /// (docs/vm-recovery.md), so an old CD's token is good for nothing. Refuses (Error{refused})
    /// an enrolment made for a MAC: a machine booted by PXE is not a helper.
    std::string renew_token(const std::string& name);

    /// Admits an agent's hello, or throws Error{refused} starting "unauthorized:": an unknown
    /// enrolment, a proof that is not HMAC(token, nonce), a token already bound to another
    /// machine, or an enrolment made for a MAC that the inventory's network cards do not include.
    /// Records the agent. The first hello binds the token to its machine id, except for a MAC
    /// enrolment, whose token travels in a cleartext iPXE script: it binds only when the agent
    /// connects from the address that fetched the script (token_fetched), so a copy read off the
    /// wire and used from elsewhere cannot lock the real machine out. Where that is not known (a
    /// token handed over by other means, a NAT between), the MAC check alone applies.
    Admission admit(const AgentHello& hello, std::int64_t now);
    /// The boot port handed the enrolment's token to `address` (the latest fetch counts).
    void token_fetched(const std::string& enrolment, const std::string& address);    std::vector<AgentRecord> agents();
    std::optional<AgentRecord> agent(const std::string& id);

    /// Queues a plan for an agent, with the archive files it may read (none when `grant` is
    /// empty); returns the job's id.
    std::string submit_job(const std::string& agent_id, const nlohmann::json& plan, std::int64_t now, const FileGrant& grant = {});
    /// Whether `key` grants reading the archive file `name` now: a grant of a job that has not ended.
    bool file_granted(const std::string& key, const std::string& name);
    /// The grant by which `key` may upload the archive file `name` now (a grant of a job that has
    /// not ended), or nothing.
    std::optional<UploadGrant> upload_grant(const std::string& key, const std::string& name);
    /// Whether a job that has not ended may upload `name` (another backup chose that name).
    bool upload_pending(const std::string& name);
    /// The files of upload grants whose jobs have ended (an unfinished upload of one is rubbish),
    /// forgetting those grants.
    std::vector<std::string> take_ended_uploads();
    std::optional<JobRecord> job(const std::string& id);
    /// The agent's job still to run or running (to offer again after a reconnect or restart).
    std::optional<JobRecord> unfinished_job(const std::string& agent_id);
    /// Jobs newest first (in the order they were submitted), at most `limit`; only those of
    /// `agent_id` when given.
    std::vector<JobRecord> jobs(const std::optional<std::string>& agent_id, std::size_t limit);
    /// Sets a job's state and why (`reason`, "" for none; replaces the previous reason).
    void set_job_state(const std::string& job, const std::string& state, std::int64_t now, const std::string& reason = "");

    /// Stores event `seq` of `job` within the limits (StoreEvents.cpp): a duplicate is a resend
    /// after a reconnect; after the job ended only the gaps before its result are filled.
    EventAdmission add_event(const std::string& job, std::int64_t seq, const nlohmann::json& event);
    /// The job's events after `seq`, in order: at most `limit` of them and about `most_bytes` of
    /// event text (at least one event when one is held), so no answer holds the I/O thread long.
    EventPage events(const std::string& job, std::int64_t after, std::size_t limit = SIZE_MAX, std::size_t most_bytes = SIZE_MAX);
    /// Tests lower the limits to reach them quickly.
    void set_event_limits(const EventLimits& limits) { limits_ = limits; }

    /// Adds a hypervisor; Error{refused} when the name is taken.
    void add_hypervisor(const HypervisorRecord& hypervisor);
    /// Every hypervisor, sorted by name; one by name.
    std::vector<HypervisorRecord> hypervisors();
    std::optional<HypervisorRecord> hypervisor(const std::string& name);
    /// Forgets a hypervisor (nothing on it is touched); false when there was none.
    bool remove_hypervisor(const std::string& name);

private:
    Database db_;
    EventLimits limits_;
};

}  // namespace dagda::controller
