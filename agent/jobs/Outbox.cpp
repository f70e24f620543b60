#include "jobs/Outbox.hpp"

#include <algorithm>

namespace dagda::jobs {

Outbox::Outbox(const std::string& path) : file_(path) {
    for (const nlohmann::json& record : file_.opened().records) {
        if (record.contains("seq") && record.contains("event")) {
            const std::uint64_t seq = record["seq"].get<std::uint64_t>();
            pending_.emplace_back(seq, record["event"]);
            next_ = std::max(next_, seq + 1);
        } else if (record.contains("acked")) {
            acked_ = std::max(acked_, record["acked"].get<std::uint64_t>());
        }
    }
    std::erase_if(pending_, [this](const auto& entry) { return entry.first <= acked_; });
}

std::uint64_t Outbox::add(const nlohmann::json& event) {
    const std::uint64_t seq = next_++;
    file_.append({{"seq", seq}, {"event", event}});
    pending_.emplace_back(seq, event);
    return seq;
}

void Outbox::acknowledge(std::uint64_t upto) {
    if (upto <= acked_) return;
    acked_ = std::min(upto, next_ - 1);  // never past what was sent
    file_.append({{"acked", acked_}});
    std::erase_if(pending_, [this](const auto& entry) { return entry.first <= acked_; });
}

std::vector<std::pair<std::uint64_t, nlohmann::json>> Outbox::pending() const { return pending_; }

}  // namespace dagda::jobs
