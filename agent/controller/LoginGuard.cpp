#include "controller/LoginGuard.hpp"

#include <algorithm>

namespace dagda::controller {

namespace {

constexpr std::size_t most_keys = 10000;

void forget_old(std::deque<std::int64_t>& times, std::int64_t now) {
    while (!times.empty() && times.front() <= now - LoginGuard::window_seconds) times.pop_front();
}

}  // namespace

std::int64_t LoginGuard::wait_for(Failures& failures, const std::string& key, std::int64_t now) {
    const auto found = failures.find(key);
    if (found == failures.end()) return 0;
    forget_old(found->second, now);
    if (found->second.size() < failures_allowed) return 0;
    // The attempt may come when the 5th most recent failure leaves the window.
    return found->second[found->second.size() - failures_allowed] + window_seconds - now;
}

void LoginGuard::add(Failures& failures, const std::string& key, std::int64_t now) {
    if (failures.size() >= most_keys && !failures.count(key)) {
        for (auto it = failures.begin(); it != failures.end();) {
            forget_old(it->second, now);
            it = it->second.empty() ? failures.erase(it) : std::next(it);
        }
        // Still full of fresh failures: the oldest-keyed entry goes (a flood of names costs the
        // flooder its own record, and no more memory).
        if (failures.size() >= most_keys) failures.erase(failures.begin());
    }
    auto& times = failures[key];
    forget_old(times, now);
    times.push_back(now);
    if (times.size() > failures_allowed) times.pop_front();
}

std::int64_t LoginGuard::wait_seconds(const std::string& address, const std::string& name, std::int64_t now) {
    return std::max(wait_for(by_address_, address, now), wait_for(by_name_, name, now));
}

void LoginGuard::attempt(const std::string& address, const std::string& name, std::int64_t now) {
    add(by_address_, address, now);
    add(by_name_, name, now);
}

void LoginGuard::succeeded(const std::string& address, const std::string& name, std::int64_t at) {
    by_name_.erase(name);
    const auto found = by_address_.find(address);
    if (found == by_address_.end()) return;
    auto& times = found->second;
    if (const auto it = std::find(times.begin(), times.end(), at); it != times.end()) times.erase(it);
    if (times.empty()) by_address_.erase(found);
}

}  // namespace dagda::controller
