#pragma once
/// The built-in replication engine (docs/replication.md, "The built-in engine"): replicas kept
/// current from the archive folder with no third-party product. Each session's volumes are made
/// in its hypervisor's pool and restored from the server's newest generation; each generation that
/// lands afterwards is applied as a delta (`dagda tib restore --disk --onto-generation HELD`,
/// which proves the volume holds HELD before writing only what changed). One thread applies, one
/// session at a time; freeze waits for a delta under way to end and stops applying, resume goes
/// on with what landed meanwhile. The engine answers the replication contract itself
/// (BuiltinAdapter), so push button recovery treats it like any external engine.

#include "controller/ArchiveStore.hpp"
#include "controller/ReplicaStore.hpp"
#include "controller/ReplicationAdapter.hpp"
#include "controller/Store.hpp"
#include "recovery/ServerArchives.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <optional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dagda::controller {

struct ReplicaEngineSettings {
    std::string database;      ///< the controller's database (Store made it)
    ArchiveStore* archives = nullptr;  ///< where the servers' generations land: the folder or a bucket
    std::string dagda_binary;  ///< this program: its `tib restore` applies a generation
    std::string work_dir;      ///< the restores' checkpoints: WORK/replica-N-diskK.checkpoint
    std::chrono::seconds scan{30};              ///< how often the archive store is looked at
    std::chrono::seconds freeze_patience{600};  ///< how long a freeze waits for a delta under way
};

class ReplicaEngine {
public:
    explicit ReplicaEngine(ReplicaEngineSettings settings);
    ReplicaEngine(const ReplicaEngine&) = delete;
    ReplicaEngine& operator=(const ReplicaEngine&) = delete;
    /// Stops after the delta under way ends (a restart finishes a cut one first).
    ~ReplicaEngine();
    void start();
    /// Look at the archive folder now (a generation landed, a session was added or resumed).
    void wake();

    /// A new session replicating `server` into `hypervisor`'s pool: a volume per disk, planned
    /// here and made by the engine's thread. Error{usage} for a server that cannot be replicated
    /// (none such, no whole generation, a volume backup), Error{refused} when the server has a
    /// session already.
    ReplicaRecord add(const std::string& server, const HypervisorRecord& hypervisor, std::int64_t now);
    std::vector<ReplicaRecord> sessions();
    std::optional<ReplicaRecord> session(const std::string& id);
    /// The operator's freeze, which does not wait: "frozen", or "freezing" while a delta under way
    /// ends. Error{usage} for no such session.
    std::string freeze_soon(const std::string& id);
    /// Applying goes on (what landed while frozen first). Error{usage} for no such session.
    void resume(const std::string& id);
    /// The operator's remove: the session forgotten, its volumes left in the pool (returned).
    /// Error{refused} while a generation is being applied to it.
    ReplicaRecord remove_now(const std::string& id);

    /// The contract's answer to `request` (BuiltinAdapter): never throws for a request's content.
    nlohmann::json answer(const nlohmann::json& request);

private:
    void loop();
    /// Brings one session to the newest generation (or finishes its cut delta); throws why not.
    void bring_up_to_date(ReplicaRecord session);
    void make_volumes(ReplicaRecord& session);
    /// The chain a session's volume follows: the one that begins with its "chain" file.
    static const recovery::ChainSummary& chain_of(const recovery::ServerSummary& server, const nlohmann::json& volume);
    class Busy;
    /// The session, marked busy in `busy`, unless it is gone or frozen.
    std::optional<ReplicaRecord> claim(const std::string& id, std::optional<Busy>& busy);
    /// The contract's session view of a record.
    ReplicaSession contract_session(const ReplicaRecord& record) const;
    /// Frozen, after the delta under way on it (if any) has ended; throws the refusal's reason
    /// (the session then as frozen as it was before).
    ReplicaRecord freeze_and_wait(const std::string& id, bool require_whole_generation);
    static std::int64_t now();

    ReplicaEngineSettings settings_;
    std::unique_ptr<ReplicaStore> store_;  // guarded by mutex_: the engine's thread and the adapter's callers share it
    std::mutex mutex_;
    std::condition_variable changed_;      // woken_, or busy_ cleared
    std::string busy_;                     // the session a delta is being applied to ("" for none)
    bool woken_ = false;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

/// The built-in engine as an adapter: the contract's requests answered by ReplicaEngine::answer.
class BuiltinAdapter final : public ReplicationAdapter {
public:
    explicit BuiltinAdapter(ReplicaEngine& engine) : engine_(engine) {}
    const std::string& name() const override { return name_; }
    nlohmann::json call(const nlohmann::json& request) override { return engine_.answer(request); }

private:
    ReplicaEngine& engine_;
    std::string name_ = "builtin";
};

}  // namespace dagda::controller
