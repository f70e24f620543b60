#pragma once
/// The replication adapter contract `dagda-replication/1` (docs/replication.md, normative): the
/// requests the controller sends and the answers it accepts, each answer checked field by field
/// so that a careless or hostile adapter's answer is refused with what is wrong named, before the
/// controller acts on it. How an adapter is run is ReplicationAdapter's business.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace dagda::controller {

inline constexpr const char* replication_contract = "dagda-replication/1";

/// A replica disk as an adapter names it.
struct ReplicaVolume {
    unsigned disk = 0;        ///< 1, 2, … in the source server's order
    std::string volume;       ///< its name in the hypervisor's pool
    std::uint64_t bytes = 0;
};

/// A replication session as `discover` answers it.
struct ReplicaSession {
    std::string adapter;      ///< the adapter that answered (set by the caller, not the answer)
    std::string id, server, hypervisor, state;
    std::vector<ReplicaVolume> volumes;
    std::string as_of;        ///< "" when not given
    unsigned generation = 0;  ///< 0 when not given
    std::string detail;       ///< "" when not given
};

/// The answer to freeze, resume or remove.
struct SessionAnswer {
    std::string session, state, as_of;
    unsigned generation = 0;
};

enum class ReplicationVerb { discover, freeze, resume, remove };
std::string verb_name(ReplicationVerb verb);

/// The request for `verb` (`session` and `volumes` for every verb but discover).
nlohmann::json replication_request(ReplicationVerb verb, const std::string& request_id, const std::string& session = "",
                                   const std::vector<std::string>& volumes = {});

/// An answer checked against the contract: Error{failed} naming what is wrong (the caller adds
/// the adapter and the verb), or an "ok": false answer's error as "refused: WHY".
std::vector<ReplicaSession> discover_answer(const nlohmann::json& answer);
/// `session` the one asked about; `state` what the verb leaves it in (frozen, replicating, removed).
SessionAnswer session_answer(const nlohmann::json& answer, const std::string& session, const std::string& state);

/// Whether `text` is a session id (1 to 64 of A-Z a-z 0-9 . _ -).
bool valid_session_id(const std::string& text);
/// Whether `text` is an adapter name (1 to 32 of a-z 0-9 -).
bool valid_adapter_name(const std::string& text);

/// A session as the API lists it.
nlohmann::json session_json(const ReplicaSession& session);
/// The names of a session's volumes, in disk order.
std::vector<std::string> volume_names(const ReplicaSession& session);

}  // namespace dagda::controller
