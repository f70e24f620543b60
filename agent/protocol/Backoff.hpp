#pragma once
/// The agent's reconnect delay (docs/protocol.md): min(cap, base × 2^attempt), scaled by a
/// random factor in [0.5, 1] so that agents cut off together do not come back together.

#include <chrono>
#include <cstdint>
#include <random>

namespace dagda::protocol {

class Backoff {
public:
    Backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap, std::uint64_t seed);
    /// The delay before the next attempt; each call doubles the next one up to the cap.
    std::chrono::milliseconds next();
    /// After a session that lasted: start again from the base.
    void reset() { attempt_ = 0; }

private:
    std::chrono::milliseconds base_, cap_;
    unsigned attempt_ = 0;
    std::mt19937_64 random_;
};

}  // namespace dagda::protocol
