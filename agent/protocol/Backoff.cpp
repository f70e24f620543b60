#include "protocol/Backoff.hpp"

#include <algorithm>

namespace dagda::protocol {

Backoff::Backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap, std::uint64_t seed)
    : base_(base), cap_(cap), random_(seed) {}

std::chrono::milliseconds Backoff::next() {
    const unsigned shift = std::min(attempt_, 20u);
    const auto full = std::min<std::int64_t>(cap_.count(), base_.count() << shift);
    if (attempt_ < 63) ++attempt_;
    std::uniform_real_distribution<double> factor(0.5, 1.0);
    return std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(full) * factor(random_)));
}

}  // namespace dagda::protocol
