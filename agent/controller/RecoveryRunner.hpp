#pragma once
/// Runs the recoveries to new VMs, one at a time, on a thread of its own (libvirt's calls and the
/// restore block): each recovery's steps in order, as its order lists them (VmRecoveryOrder),
/// each step's start, end and duration an event, and the one catch boundary where a step's
/// failure ends the recovery with the step named. What a recovery made is recorded as it is made,
/// so a controller restarted mid-recovery goes on where it stopped, and nothing it did not make
/// is ever touched.

#include "controller/ArchiveStore.hpp"
#include "controller/ArchiveUrlsFile.hpp"
#include "controller/HelperControl.hpp"
#include "controller/RecoveryStore.hpp"
#include "controller/ReplicaCatalog.hpp"
#include "hypervisor/Hypervisor.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

namespace dagda::controller {

struct RecoveryRunnerSettings {
    std::string database;      ///< the controller's database (Store made it)
    std::string work_dir;      ///< plans and journals of the recoveries: WORK/recovery-N/
    std::string dagda_binary;  ///< this program, which plans and runs a disk's restore (direct mode)
    std::string archives_dir;  ///< the archive folder (helper mode: its files are served to the helper)
    ArchiveStore* archive_store = nullptr;  ///< the archive store (an order's "store": "bucket" reads its bucket); nullptr: none
    std::chrono::seconds archive_url_lifetime{24 * 3600};  ///< how long its pre-signed URLs last
    HelperControl* control = nullptr;  ///< the I/O thread's side of helper mode; nullptr: no helper mode
    ReplicaCatalog* replicas = nullptr;  ///< the replication adapters push buttons use; nullptr: none
    std::string helper_iso;            ///< the live ISO a helper VM boots ("" : no helper mode)
    std::chrono::seconds helper_hello{600};     ///< how long a started helper has to say hello
    std::chrono::seconds helper_poweroff{180};  ///< how long a helper has to power off after its job
};

/// The operator cancelled the recovery under way: thrown at a safe point, it fails the step.
struct RecoveryCancelled : std::runtime_error {
    RecoveryCancelled() : std::runtime_error("cancelled by the operator") {}
};

class RecoveryRunner {
public:
    explicit RecoveryRunner(RecoveryRunnerSettings settings);
    RecoveryRunner(const RecoveryRunner&) = delete;
    RecoveryRunner& operator=(const RecoveryRunner&) = delete;
    /// Stops after the step under way ends (a restart resumes the recovery there).
    ~RecoveryRunner();
    /// Starts the thread: a recovery a restart interrupted goes on first.
    void start();
    /// A recovery was queued.
    void wake();
    /// The operator asked to cancel running recovery `id` (any thread; a queued one the API ends
    /// itself). It fails at its next safe point (between steps, or within a second of a step that
    /// waits: a restore, a helper's boot or job), its reason saying it was cancelled, so a
    /// cleanup removes what it made.
    void cancel(const std::string& id);

private:
    void loop();
    void run(RecoveryRecord recovery);
    /// One step; `made` grows with what it makes (saved as it grows).
    void run_step(const RecoveryRecord& recovery, const nlohmann::json& step, std::int64_t index, nlohmann::json& made);
    void restore_disk(const RecoveryRecord& recovery, std::size_t disk, const nlohmann::json& made);
    // Helper mode (HelperSteps.cpp): the helper VM boots the live ISO with the new disks attached
    // and its agent runs one plan for all of them.
    void helper_step(const RecoveryRecord& recovery, const std::string& name, std::int64_t index, nlohmann::json& made);
    void prepare_helper(const RecoveryRecord& recovery, hypervisor::Hypervisor& site, std::int64_t index, nlohmann::json& made);
    void wait_for_hello(const RecoveryRecord& recovery, hypervisor::Hypervisor& site, const nlohmann::json& made);
    void run_helper_job(const RecoveryRecord& recovery, hypervisor::Hypervisor& site, std::int64_t index, nlohmann::json& made);
    /// Submits the plan `make_plan` makes from the helper agent's inventory, once (its job kept in
    /// made["helper"]["jobs"][slot], so a restart follows the same job), and follows it to its
    /// end, relaying the agent's steps as `step`'s. Throws when the job does not succeed.
    void run_on_helper(const RecoveryRecord& recovery, hypervisor::Hypervisor& site, std::int64_t index, nlohmann::json& made, const std::string& step,
                       const std::string& slot, const std::function<nlohmann::json(const nlohmann::json& inventory, FileGrant& grant)>& make_plan);
    /// The helper off (waiting for its own power-off up to `patience`) and this recovery's disks and
    /// settings CD detached, the CD deleted and its token void; nothing of a later recovery's touched.
    void release_helper(const RecoveryRecord& recovery, hypervisor::Hypervisor& site, nlohmann::json& made, std::chrono::seconds patience);
    hypervisor::VmSpec helper_spec(const RecoveryRecord& recovery, hypervisor::Hypervisor& site, const nlohmann::json& made, bool attached) const;
    // Push button recovery (ReplicaSteps.cpp): the replica through its adapter, frozen, made
    // bootable and inoculated in place, copied or backed up, its session removed or resumed.
    void replica_step(const RecoveryRecord& recovery, const std::string& name, std::int64_t index, nlohmann::json& made);
    ReplicationAdapter& replica_adapter(const nlohmann::json& order);
    /// The order's session as its adapter describes it now (none when it is gone); throws when it names other volumes.
    std::optional<ReplicaSession> find_replica_session(const nlohmann::json& order);
    /// Likewise, and throws when it is gone.
    ReplicaSession replica_session(const nlohmann::json& order);
    std::string replica_disk_path(const nlohmann::json& order, const nlohmann::json& made, std::size_t disk) const;
    /// The "boot" or "inoculate" part of the replica plan of `disk`, run by this program on its volume file.
    void run_replica_plan(const RecoveryRecord& recovery, std::size_t disk, const std::string& part, nlohmann::json& made, std::int64_t index);
    void back_up_replica_disk(const RecoveryRecord& recovery, std::size_t disk, nlohmann::json& made);
    /// Helper mode: the helper, lent the frozen replica, uploads each disk's new generation.
    void back_up_on_helper(const RecoveryRecord& recovery, hypervisor::Hypervisor& site, std::int64_t index, nlohmann::json& made);
    /// The size of the archive disk `disk` of a push button's backup is committed as (in the
    /// folder or the bucket), or nullopt while it is not.
    std::optional<std::uint64_t> committed_size(const nlohmann::json& order, std::size_t disk) const;
    /// Disk `disk`'s generation as this controller's programs read it (from a bucket, through URLs
    /// written to `urls_path` for --archive-urls).
    ProgramArchive program_archive_of(const nlohmann::json& order, std::size_t disk, const std::string& urls_path) const;
    /// The newest file of the chain disk `disk` of the order continues (by its full backup's name).
    std::string chain_newest(const nlohmann::json& order, std::size_t disk) const;
    /// After a push button's step failed: the replica put back and resumed before the point of no
    /// return; the text the failure's reason ends with (what state the disks are in).
    std::string settle_replica(const RecoveryRecord& recovery, nlohmann::json& made);
    /// Helper mode: a replica changed in place put back by the helper from its undo journals
    /// (it stays up until the session is removed), then the helper released. Returns what to add
    /// to the failure's reason ("…NOT…" when it could not be put back).
    std::string undo_on_helper(const RecoveryRecord& recovery, nlohmann::json& made);
    /// Deletes a push button's undo journal volumes (made["journal_volumes"]), once no helper holds them.
    void drop_journals(hypervisor::Hypervisor& site, nlohmann::json& made);
    static hypervisor::HypervisorSettings settings_of(const nlohmann::json& order);
    /// Whether `list` (what a recovery made: volumes or VMs) has an item named `name`.
    static bool contains(const nlohmann::json& list, const std::string& name);
    /// A test copy's plan file: the Windows it restores renamed (with_new_identity).
    static void rename_windows(const std::string& plan_file, const std::string& computer_name);
    /// Removes what a failed recovery made (its VMs, then its volumes), and only that.
    void clean_up(const RecoveryRecord& recovery);
    void event(const std::string& id, nlohmann::json event);
    /// Throws RecoveryCancelled when the operator cancelled the recovery under way.
    void check_cancel() const;
    static std::int64_t now();

    RecoveryRunnerSettings settings_;
    std::unique_ptr<RecoveryStore> store_;  // opened on the runner's thread's behalf; used only there
    std::mutex mutex_;
    std::condition_variable woken_;
    bool pending_ = false;
    std::atomic<bool> stopping_{false};
    std::set<std::string> cancels_;  ///< recoveries the operator cancelled, not yet ended (under mutex_)
    std::string running_;            ///< the recovery under way (under mutex_)
    std::atomic<bool> cancel_running_{false};  ///< the one under way was cancelled
    std::thread thread_;
};

}  // namespace dagda::controller
