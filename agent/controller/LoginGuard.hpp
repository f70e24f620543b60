#pragma once
/// Console logins limited (docs/api.md, "Console"): after 5 failed attempts within 15 minutes
/// from one address, or for one user name, more are refused without their password being
/// checked until the oldest of those 5 is 15 minutes old. Counting by name too stops a guesser
/// spread over many addresses; counting by address stops one trying many names. Kept in memory
/// (a restart forgets it), bounded: failures older than the window are dropped, and at most
/// 10,000 addresses and names are remembered.
/// Not thread-safe: the controller's I/O thread owns it.

#include <cstdint>
#include <deque>
#include <map>
#include <string>

namespace dagda::controller {

class LoginGuard {
public:
    static constexpr std::int64_t window_seconds = 15 * 60;
    static constexpr std::size_t failures_allowed = 5;

    /// Seconds until `address` may try `name` again; 0 when it may now.
    std::int64_t wait_seconds(const std::string& address, const std::string& name, std::int64_t now);
    /// An attempt let through is counted as a failure at once, before its password is checked:
    /// many attempts sent together cannot all pass the check above while the hashes are made.
    void attempt(const std::string& address, const std::string& name, std::int64_t now);
    /// The attempt made at `at` had the right password: it is not counted, and the name's
    /// failures are forgotten (the address's stay: it may be guessing others).
    void succeeded(const std::string& address, const std::string& name, std::int64_t at);

private:
    using Failures = std::map<std::string, std::deque<std::int64_t>>;
    static std::int64_t wait_for(Failures& failures, const std::string& key, std::int64_t now);
    static void add(Failures& failures, const std::string& key, std::int64_t now);

    Failures by_address_, by_name_;
};

}  // namespace dagda::controller
