#pragma once
/// The events an agent has not yet seen acknowledged by its controller (docs/protocol.md): each
/// numbered once, kept on persistent storage beside the job journal (same CRC-framed file
/// format), and resent after every reconnect until acknowledged, so a cut link or a restarted
/// agent loses none and the controller, which ignores a sequence number it holds, counts none
/// twice.

#include "jobs/Journal.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dagda::jobs {

class Outbox {
public:
    /// Opens (or creates) the outbox file; what it held is pending again.
    explicit Outbox(const std::string& path);

    /// Numbers `event`, records it (synced) and returns its sequence number.
    std::uint64_t add(const nlohmann::json& event);
    /// The controller holds every event up to `upto`: they are no longer resent.
    void acknowledge(std::uint64_t upto);
    /// Events not yet acknowledged, oldest first: what a new session sends first.
    std::vector<std::pair<std::uint64_t, nlohmann::json>> pending() const;
    std::uint64_t acknowledged() const noexcept { return acked_; }

private:
    Journal file_;
    std::uint64_t next_ = 1;
    std::uint64_t acked_ = 0;
    std::vector<std::pair<std::uint64_t, nlohmann::json>> pending_;
};

}  // namespace dagda::jobs
