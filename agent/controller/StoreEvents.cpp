// A job's events: what an agent may make the controller keep, and reading them back in pages.
// An agent is trusted with its own job's progress, not with the controller's disk or memory
// (issue 13, item 2): an event is cut to a bounded size, a job's events to a bounded count and
// byte budget, and nothing is taken after a job's result.

#include "controller/Store.hpp"

#include "core/Error.hpp"

#include <algorithm>

namespace dagda::controller {

namespace {

constexpr std::size_t kept_text = 4096;  ///< a cut event keeps this much of each string

/// `event` with every string cut to kept_text bytes and every nested value replaced by a note of
/// its size: the shape an operator needs (kind, step, outcome, the start of a message) stays.
nlohmann::json cut_event(const nlohmann::json& event) {
    nlohmann::json cut = nlohmann::json::object();
    for (const auto& [key, value] : event.items()) {
        if (value.is_string() && value.get_ref<const std::string&>().size() > kept_text)
            cut[key] = value.get_ref<const std::string&>().substr(0, kept_text) + " [cut]";
        else if (value.is_structured())
            cut[key] = value.dump().size() > kept_text ? nlohmann::json("[cut: " + std::to_string(value.dump().size()) + " bytes]") : value;
        else
            cut[key] = value;
        if (cut.dump().size() > 4 * kept_text) break;  // an event of thousands of keys keeps the first ones
    }
    cut["x-cut"] = true;
    return cut;
}

/// What is kept of an event once the job's byte budget is spent: what kind it was, and where.
nlohmann::json minimal_event(const nlohmann::json& event) {
    nlohmann::json kept = nlohmann::json::object();
    for (const char* key : {"event", "step", "name", "outcome"})
        if (event.contains(key) && (event[key].is_number() || (event[key].is_string() && event[key].get_ref<const std::string&>().size() <= 64)))
            kept[key] = event[key];
    kept["x-cut"] = "over the job's event budget";
    return kept;
}

bool is_result(const nlohmann::json& event) { return event.is_object() && event.value("event", nlohmann::json()) == "job_result"; }

bool ended(const std::string& state) {
    return state == "succeeded" || state == "failed" || state == "cancelled" || state == "refused";
}

EventAdmission refused(std::string why) { return {EventAdmission::Kind::refused, std::move(why)}; }

}  // namespace

EventAdmission Store::add_event(const std::string& job, std::int64_t seq, const nlohmann::json& event) {
    Transaction transaction(db_);
    Statement row(db_, "SELECT state, event_bytes, event_count, result_seq FROM jobs WHERE id = ?");
    if (!row.bind(1, job).step()) throw Error(ErrorKind::usage, "no job \"" + job + "\"");
    const std::string state = row.text(0);
    const std::int64_t bytes = row.number(1), count = row.number(2);
    const std::optional<std::string> result_seq = row.optional_text(3);
    if (Statement(db_, "SELECT 1 FROM events WHERE job = ? AND seq = ?").bind(1, job).bind(2, seq).step())
        return {EventAdmission::Kind::duplicate, ""};
    // After its result a job takes only the events that were lost before it (resent after a
    // reconnect); nothing can be added past the end, and a job ended without a result takes none.
    if (ended(state) && (!result_seq || seq >= std::stoll(*result_seq)))
        return refused("job " + job + " has ended (" + state + "); it takes no more events");
    if (count >= limits_.job_events)
        return refused("job " + job + " holds " + std::to_string(count) + " events, the most a job keeps");

    std::string text = event.dump();
    if (text.size() > limits_.largest_event) text = cut_event(event).dump();
    // The result always keeps its outcome and the start of its failure; progress past the budget
    // keeps only its kind and step.
    if (bytes + static_cast<std::int64_t>(text.size()) > limits_.job_bytes && !is_result(event)) text = minimal_event(event).dump();
    Statement(db_, "INSERT INTO events (job, seq, event) VALUES (?, ?, ?)").bind(1, job).bind(2, seq).bind(3, text).run();
    Statement update(db_, "UPDATE jobs SET event_bytes = event_bytes + ?, event_count = event_count + 1, "
                          "result_seq = CASE WHEN ? THEN ? ELSE result_seq END WHERE id = ?");
    update.bind(1, static_cast<std::int64_t>(text.size())).bind(2, std::int64_t{is_result(event) ? 1 : 0}).bind(3, seq).bind(4, job).run();
    // Advance the contiguous acknowledgement past every event now held.
    Statement(db_, "UPDATE jobs SET acked = (WITH RECURSIVE held(n) AS (SELECT acked FROM jobs WHERE id = ?1 UNION ALL "
                   "SELECT n + 1 FROM held WHERE EXISTS (SELECT 1 FROM events WHERE job = ?1 AND seq = n + 1)) SELECT MAX(n) FROM held) "
                   "WHERE id = ?1")
        .bind(1, job).run();
    transaction.commit();
    return {EventAdmission::Kind::stored, ""};
}

EventPage Store::events(const std::string& job, std::int64_t after, std::size_t limit, std::size_t most_bytes) {
    EventPage page;
    // One more row than asked tells whether more are held.
    Statement rows(db_, "SELECT seq, event FROM events WHERE job = ? AND seq > ? ORDER BY seq LIMIT ?");
    rows.bind(1, job).bind(2, after).bind(3, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX - 1) + 1));
    std::size_t bytes = 0;
    while (rows.step()) {
        const std::string text = rows.text(1);
        if (page.events.size() == limit || (!page.events.empty() && bytes + text.size() > most_bytes)) {
            page.more = true;
            break;
        }
        bytes += text.size();
        page.events.emplace_back(rows.number(0), nlohmann::json::parse(text));
    }
    return page;
}

}  // namespace dagda::controller
