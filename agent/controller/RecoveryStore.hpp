#pragma once
/// The recoveries to new VMs (docs/vm-recovery.md) in the controller's database: each one's order
/// (the request and the plan made of it), its state, the step it has reached, what it made on
/// the hypervisor (so a cleanup removes exactly that), and its events. Its own connection to the
/// database Store made (schema version 7): the recovery runner's thread has one, the API's I/O
/// thread another, and SQLite keeps them apart.

#include "controller/Sqlite.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dagda::controller {

struct RecoveryRecord {
    std::string id;
    std::string state;  ///< queued, running, succeeded, failed; cleaning, cleaned (a failed one's cleanup)
    nlohmann::json order;  ///< {"request": …, "plan": {"steps": [...], …}}
    std::int64_t next_step = 0;  ///< the index of the first step not done
    nlohmann::json made = nlohmann::json::object();  ///< {"volumes": [names], "vms": [names]}
    std::int64_t created = 0, updated = 0;
    std::string reason;  ///< why it failed or was cancelled
};

class RecoveryStore {
public:
    /// Opens the controller's database (Store has made or migrated it).
    explicit RecoveryStore(const std::string& path);

    /// Queues a recovery; returns its id ("recovery-N").
    std::string add(const nlohmann::json& order, std::int64_t now);
    std::optional<RecoveryRecord> get(const std::string& id);
    /// Every recovery, newest first.
    std::vector<RecoveryRecord> list();
    /// The oldest recovery that is running or cleaning (one a restart interrupted), else queued.
    std::optional<RecoveryRecord> next_to_run();
    void set_state(const std::string& id, const std::string& state, std::int64_t now, const std::string& reason = "");
    /// set_state only if the state is `from` now, in one statement: of the operator's cancel and
    /// the runner's start of a queued recovery, exactly one wins. Returns whether it changed.
    bool change_state(const std::string& id, const std::string& from, const std::string& to, std::int64_t now, const std::string& reason = "");
    /// Step `next_step - 1` is done; `made` is all the recovery has made so far.
    void step_done(const std::string& id, std::int64_t next_step, const nlohmann::json& made, std::int64_t now);
    /// Appends an event (its "seq" is set here, from 1); returns the seq.
    std::int64_t add_event(const std::string& id, nlohmann::json event);
    /// Whether recovery `id` has an event named `name` ("recovery_cancel_requested").
    bool has_event(const std::string& id, const std::string& name);
    /// Events after `after`, at most `limit`.
    std::vector<nlohmann::json> events(const std::string& id, std::int64_t after, std::size_t limit = 1000);

private:
    Database db_;
};

}  // namespace dagda::controller
