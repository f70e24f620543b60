#include "jobs/Outbox.hpp"

#include "core/Error.hpp"

#include <algorithm>

namespace dagda::jobs {

Outbox::Outbox(const std::string& path) : file_(path) {
    for (const nlohmann::json& record : file_.opened().records) {
        const std::string job = record.value("job", std::string());
        JobState& state = jobs_[job];
        if (record.contains("seq") && record.contains("event")) {
            const std::uint64_t seq = record["seq"].get<std::uint64_t>();
            pending_.push_back({job, seq, record["event"]});
            state.next = std::max(state.next, seq + 1);
        } else if (record.contains("acked")) {
            state.acked = std::max(state.acked, record["acked"].get<std::uint64_t>());
        }
    }
    std::erase_if(pending_, [this](const PendingEvent& e) { return e.seq <= jobs_[e.job].acked; });
}

std::uint64_t Outbox::add(const std::string& job, const nlohmann::json& event) {
    const std::string text = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (text.size() > largest_event)
        throw Error(ErrorKind::failed, "an event of " + std::to_string(text.size()) + " bytes is too large to send to the controller");
    JobState& state = jobs_[job];
    const std::uint64_t seq = state.next;
    file_.append({{"job", job}, {"seq", seq}, {"event", event}});
    ++state.next;  // only once it is recorded: a number is never skipped
    pending_.push_back({job, seq, event});
    return seq;
}

bool Outbox::acknowledge(const std::string& job, std::uint64_t upto) {
    JobState& state = jobs_[job];
    if (upto >= state.next) return false;
    if (upto <= state.acked) return true;
    file_.append({{"job", job}, {"acked", upto}});
    state.acked = upto;
    std::erase_if(pending_, [&](const PendingEvent& e) { return e.job == job && e.seq <= upto; });
    return true;
}

std::vector<PendingEvent> Outbox::pending() const { return pending_; }

std::uint64_t Outbox::acknowledged(const std::string& job) const {
    const auto it = jobs_.find(job);
    return it == jobs_.end() ? 0 : it->second.acked;
}

}  // namespace dagda::jobs
