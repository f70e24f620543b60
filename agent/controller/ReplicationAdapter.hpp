#pragma once
/// A replication adapter as the controller calls it (docs/replication.md): one request, one
/// answer, checked against the contract. External adapters are programs run bounded in time and
/// output (a hang, a crash, garbage or a refusal each end the call with a clear error); the
/// built-in engine answers the same requests in-process (BuiltinAdapter).

#include "controller/ReplicationContract.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace dagda::controller {

class ReplicationAdapter {
public:
    virtual ~ReplicationAdapter() = default;
    virtual const std::string& name() const = 0;
    /// The answer to `request`, unchecked; Error{failed} saying why there is none, and
    /// ControllerStopping when cancel() cut it short.
    virtual nlohmann::json call(const nlohmann::json& request) = 0;
    /// The controller is stopping: a call under way, and any later one, ends at once.
    virtual void cancel() {}
};

/// An adapter program (--replication-adapter NAME=PROGRAM).
class ExternalAdapter final : public ReplicationAdapter {
public:
    ExternalAdapter(std::string name, std::string program, std::chrono::seconds timeout);
    const std::string& name() const override { return name_; }
    nlohmann::json call(const nlohmann::json& request) override;
    void cancel() override { cancelled_ = true; }

private:
    std::string name_, program_;
    std::chrono::seconds timeout_;
    std::atomic<bool> cancelled_{false};
};

/// The verbs, each answer checked: Error{failed} "replication adapter "NAME" could not VERB
/// [session S]: WHY", WHY naming the fault (a timeout, an exit status and the end of its stderr,
/// an answer that is not JSON or breaks the contract, or its refusal).
std::vector<ReplicaSession> discover_sessions(ReplicationAdapter& adapter);
SessionAnswer freeze_session(ReplicationAdapter& adapter, const ReplicaSession& session);
SessionAnswer resume_session(ReplicationAdapter& adapter, const ReplicaSession& session);
SessionAnswer remove_session(ReplicationAdapter& adapter, const ReplicaSession& session);

/// "NAME=PROGRAM" of --replication-adapter, checked: Error{usage} naming what is wrong.
std::pair<std::string, std::string> adapter_option(const std::string& text);

}  // namespace dagda::controller
