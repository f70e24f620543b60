#pragma once
/// The built-in replication engine's sessions (docs/replication.md, "The built-in engine") in the
/// controller's database (schema version 8): per session its server, the hypervisor record it
/// was made on, its volumes (planned, then made), the generation they hold, a delta begun and not
/// finished, whether it is frozen, its state and why. Its own connection, like RecoveryStore.

#include "controller/Sqlite.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dagda::controller {

struct ReplicaRecord {
    std::string id;               ///< "replica-N"; N never reused
    std::string server;
    nlohmann::json hypervisor;    ///< {"name", "uri", "pool", "network", "credentials_file"} as it was when the session began
    nlohmann::json volumes;       ///< [{"disk", "volume", "bytes", "made": bool, "path"}] in disk order
    unsigned generation = 0;      ///< the server generation the volumes hold (0: none yet)
    unsigned applying = 0;        ///< the generation a delta begun and not finished goes to (0: none)
    bool frozen = false;
    std::string state;            ///< new (volumes to make), syncing (first copy), replicating, failed
    std::string detail;           ///< why it failed, or what it last did
    std::string as_of;            ///< when the generation held was captured
    std::int64_t created = 0, updated = 0;
};

class ReplicaStore {
public:
    explicit ReplicaStore(const std::string& database);
    /// A new session in state "new"; returns its id.
    std::string add(const std::string& server, const nlohmann::json& hypervisor, const nlohmann::json& volumes, std::int64_t now);
    std::optional<ReplicaRecord> get(const std::string& id);
    /// Every session, oldest first.
    std::vector<ReplicaRecord> list();
    void set_volumes(const std::string& id, const nlohmann::json& volumes, std::int64_t now);
    void set_state(const std::string& id, const std::string& state, const std::string& detail, std::int64_t now);
    /// A delta to `generation` begins (recorded before its first write).
    void set_applying(const std::string& id, unsigned generation, std::int64_t now);
    /// The delta ended: the volumes hold `generation`, captured at `as_of`.
    void applied(const std::string& id, unsigned generation, const std::string& as_of, const std::string& detail, std::int64_t now);
    void set_frozen(const std::string& id, bool frozen, std::int64_t now);
    /// Forgets the session; false when there was none.
    bool remove(const std::string& id);

private:
    Database db_;
};

}  // namespace dagda::controller
