#pragma once
/// Every replication adapter the controller knows (docs/replication.md): the built-in engine's and
/// the external ones of --replication-adapter. External adapters are programs that may take their
/// time, so they are asked on a thread of their own every scan period, never on the controller's
/// I/O thread; the API lists what they last answered (or why they did not). Push button recovery
/// asks them afresh on its own thread.

#include "controller/ReplicaEngine.hpp"
#include "controller/ReplicationAdapter.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dagda::controller {

/// What one adapter answered when last asked.
struct AdapterListing {
    std::string name;
    std::int64_t asked = 0;   ///< Unix seconds; 0: not asked yet
    std::string error;        ///< why the last discover failed ("" when it did not)
    std::vector<ReplicaSession> sessions;
};

class ReplicaCatalog {
public:
    ReplicaCatalog(ReplicaEngine& engine, std::vector<std::unique_ptr<ReplicationAdapter>> external, std::chrono::seconds scan);
    ReplicaCatalog(const ReplicaCatalog&) = delete;
    ReplicaCatalog& operator=(const ReplicaCatalog&) = delete;
    ~ReplicaCatalog();
    /// Starts asking the external adapters (none: no thread).
    void start();
    /// The controller is stopping: every adapter call under way ends at once (a push button's
    /// step is taken again after the restart), and the discovery thread stops asking.
    void cancel_calls();

    /// The built-in adapter's sessions now, the external ones' as last discovered.
    std::vector<AdapterListing> listing();
    /// The adapter `name` ("builtin" or an external one), or nullptr.
    ReplicationAdapter* adapter(const std::string& name);
    ReplicaEngine& engine() noexcept { return engine_; }

private:
    void loop();

    ReplicaEngine& engine_;
    BuiltinAdapter builtin_;
    std::vector<std::unique_ptr<ReplicationAdapter>> external_;
    std::chrono::seconds scan_;
    std::mutex mutex_;
    std::condition_variable stop_;
    std::vector<AdapterListing> listed_;  // the external adapters', guarded by mutex_
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace dagda::controller
