#pragma once
/// The events an agent has not yet seen acknowledged by its controller (docs/protocol.md): each
/// job's events numbered 1, 2, … once, kept on persistent storage beside the job journal (same
/// CRC-framed file format), and resent after every reconnect until acknowledged, so a cut link
/// or a restarted agent loses none and the controller, which ignores a sequence number it holds,
/// counts none twice.

#include "jobs/Journal.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dagda::jobs {

struct PendingEvent {
    std::string job;
    std::uint64_t seq = 0;
    nlohmann::json event;
};

class Outbox {
public:
    /// Opens (or creates) the outbox file; what it held and was not acknowledged is pending again.
    explicit Outbox(const std::string& path);

    /// Numbers `event` for `job`, records it (synced) and returns its sequence number. Throws
    /// Error{failed} for an event larger than `largest_event` bytes (it could never be sent and
    /// would hold up every event after it); no number is used then.
    std::uint64_t add(const std::string& job, const nlohmann::json& event);
    /// The controller holds every event of `job` up to `upto`. An `upto` beyond what was sent
    /// means the two sides disagree: it is ignored and false is returned.
    bool acknowledge(const std::string& job, std::uint64_t upto);
    /// Events not yet acknowledged, in the order they were added: what a new session sends first.
    std::vector<PendingEvent> pending() const;
    std::uint64_t acknowledged(const std::string& job) const;

    /// Keeps an event frame under the protocol's 1 MiB with room for its envelope.
    static constexpr std::size_t largest_event = (1u << 20) - 4096;

private:
    struct JobState {
        std::uint64_t next = 1;
        std::uint64_t acked = 0;
    };
    Journal file_;
    std::map<std::string, JobState> jobs_;
    std::vector<PendingEvent> pending_;
};

}  // namespace dagda::jobs
