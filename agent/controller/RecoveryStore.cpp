#include "controller/RecoveryStore.hpp"

namespace dagda::controller {

using nlohmann::json;

namespace {

constexpr const char* columns = "id, state, order_json, next_step, made, created, updated, reason";

RecoveryRecord read_recovery(const Statement& row) {
    return {row.text(0), row.text(1), json::parse(row.text(2)), row.number(3), json::parse(row.text(4)), row.number(5), row.number(6),
            row.optional_text(7).value_or("")};
}

}  // namespace

RecoveryStore::RecoveryStore(const std::string& path) : db_(path) {}

std::string RecoveryStore::add(const json& order, std::int64_t now) {
    Transaction transaction(db_);
    Statement count(db_, "SELECT COALESCE(MAX(number), 0) + 1 FROM recoveries");
    count.step();
    const std::int64_t number = count.number(0);
    const std::string id = "recovery-" + std::to_string(number);
    Statement(db_, "INSERT INTO recoveries (id, number, state, order_json, next_step, made, created, updated) VALUES (?, ?, 'queued', ?, 0, '{\"volumes\": [], \"vms\": []}', ?, ?)")
        .bind(1, id).bind(2, number).bind(3, order.dump()).bind(4, now).bind(5, now).run();
    transaction.commit();
    return id;
}

std::optional<RecoveryRecord> RecoveryStore::get(const std::string& id) {
    Statement row(db_, std::string("SELECT ") + columns + " FROM recoveries WHERE id = ?");
    if (!row.bind(1, id).step()) return std::nullopt;
    return read_recovery(row);
}

std::vector<RecoveryRecord> RecoveryStore::list() {
    std::vector<RecoveryRecord> out;
    Statement rows(db_, std::string("SELECT ") + columns + " FROM recoveries ORDER BY number DESC");
    while (rows.step()) out.push_back(read_recovery(rows));
    return out;
}

std::optional<RecoveryRecord> RecoveryStore::next_to_run() {
    Statement row(db_, std::string("SELECT ") + columns + " FROM recoveries WHERE state IN ('running', 'cleaning', 'queued') ORDER BY state = 'queued', number LIMIT 1");
    if (!row.step()) return std::nullopt;
    return read_recovery(row);
}

void RecoveryStore::set_state(const std::string& id, const std::string& state, std::int64_t now, const std::string& reason) {
    Statement update(db_, "UPDATE recoveries SET state = ?, updated = ?, reason = ? WHERE id = ?");
    update.bind(1, state).bind(2, now);
    if (reason.empty()) update.bind_null(3);
    else update.bind(3, reason);
    update.bind(4, id).run();
}

bool RecoveryStore::change_state(const std::string& id, const std::string& from, const std::string& to, std::int64_t now, const std::string& reason) {
    Statement update(db_, "UPDATE recoveries SET state = ?, updated = ?, reason = ? WHERE id = ? AND state = ?");
    update.bind(1, to).bind(2, now);
    if (reason.empty()) update.bind_null(3);
    else update.bind(3, reason);
    return update.bind(4, id).bind(5, from).run() == 1;
}

void RecoveryStore::step_done(const std::string& id, std::int64_t next_step, const json& made, std::int64_t now) {
    Statement(db_, "UPDATE recoveries SET next_step = ?, made = ?, updated = ? WHERE id = ?").bind(1, next_step).bind(2, made.dump()).bind(3, now).bind(4, id).run();
}

std::int64_t RecoveryStore::add_event(const std::string& id, json event) {
    Transaction transaction(db_);
    Statement last(db_, "SELECT COALESCE(MAX(seq), 0) + 1 FROM recovery_events WHERE recovery = ?");
    last.bind(1, id).step();
    const std::int64_t seq = last.number(0);
    event["seq"] = seq;
    Statement(db_, "INSERT INTO recovery_events (recovery, seq, event) VALUES (?, ?, ?)").bind(1, id).bind(2, seq).bind(3, event.dump()).run();
    transaction.commit();
    return seq;
}

bool RecoveryStore::has_event(const std::string& id, const std::string& name) {
    Statement found(db_, "SELECT 1 FROM recovery_events WHERE recovery = ? AND json_extract(event, '$.event') = ? LIMIT 1");
    found.bind(1, id).bind(2, name);
    return found.step();
}

std::vector<json> RecoveryStore::events(const std::string& id, std::int64_t after, std::size_t limit) {
    std::vector<json> out;
    Statement rows(db_, "SELECT event FROM recovery_events WHERE recovery = ? AND seq > ? ORDER BY seq LIMIT ?");
    rows.bind(1, id).bind(2, after).bind(3, static_cast<std::int64_t>(limit));
    while (rows.step()) out.push_back(json::parse(rows.text(0)));
    return out;
}

}  // namespace dagda::controller
