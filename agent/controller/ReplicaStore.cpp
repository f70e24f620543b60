#include "controller/ReplicaStore.hpp"

namespace dagda::controller {

using nlohmann::json;

namespace {

constexpr const char* columns = "number, server, hypervisor, volumes, generation, applying, frozen, state, detail, as_of, created, updated";

ReplicaRecord read_replica(const Statement& row) {
    ReplicaRecord r;
    r.id = "replica-" + std::to_string(row.number(0));
    r.server = row.text(1);
    r.hypervisor = json::parse(row.text(2));
    r.volumes = json::parse(row.text(3));
    r.generation = static_cast<unsigned>(row.number(4));
    r.applying = static_cast<unsigned>(row.number(5));
    r.frozen = row.number(6) != 0;
    r.state = row.text(7);
    r.detail = row.text(8);
    r.as_of = row.text(9);
    r.created = row.number(10);
    r.updated = row.number(11);
    return r;
}

/// The row number of "replica-N", or -1 for anything else (no row has it).
std::int64_t number_of(const std::string& id) {
    const std::string prefix = "replica-";
    if (id.rfind(prefix, 0) != 0 || id.size() == prefix.size() || id.size() > prefix.size() + 15) return -1;
    std::int64_t n = 0;
    for (std::size_t i = prefix.size(); i < id.size(); ++i) {
        if (id[i] < '0' || id[i] > '9') return -1;
        n = n * 10 + (id[i] - '0');
    }
    return n;
}

}  // namespace

ReplicaStore::ReplicaStore(const std::string& database) : db_(database) {}

std::string ReplicaStore::add(const std::string& server, const json& hypervisor, const json& volumes, std::int64_t now) {
    Statement insert(db_, "INSERT INTO replicas (server, hypervisor, volumes, generation, applying, frozen, state, detail, as_of, created, updated) "
                          "VALUES (?, ?, ?, 0, 0, 0, 'new', '', '', ?, ?) RETURNING number");
    insert.bind(1, server).bind(2, hypervisor.dump()).bind(3, volumes.dump()).bind(4, now).bind(5, now);
    insert.step();
    const std::string id = "replica-" + std::to_string(insert.number(0));
    insert.run();
    return id;
}

std::optional<ReplicaRecord> ReplicaStore::get(const std::string& id) {
    Statement row(db_, std::string("SELECT ") + columns + " FROM replicas WHERE number = ?");
    if (!row.bind(1, number_of(id)).step()) return std::nullopt;
    return read_replica(row);
}

std::vector<ReplicaRecord> ReplicaStore::list() {
    std::vector<ReplicaRecord> out;
    Statement rows(db_, std::string("SELECT ") + columns + " FROM replicas ORDER BY number");
    while (rows.step()) out.push_back(read_replica(rows));
    return out;
}

void ReplicaStore::set_volumes(const std::string& id, const json& volumes, std::int64_t now) {
    Statement(db_, "UPDATE replicas SET volumes = ?, updated = ? WHERE number = ?").bind(1, volumes.dump()).bind(2, now).bind(3, number_of(id)).run();
}

void ReplicaStore::set_state(const std::string& id, const std::string& state, const std::string& detail, std::int64_t now) {
    Statement(db_, "UPDATE replicas SET state = ?, detail = ?, updated = ? WHERE number = ?")
        .bind(1, state).bind(2, detail).bind(3, now).bind(4, number_of(id)).run();
}

void ReplicaStore::set_applying(const std::string& id, unsigned generation, std::int64_t now) {
    Statement(db_, "UPDATE replicas SET applying = ?, updated = ? WHERE number = ?").bind(1, std::int64_t{generation}).bind(2, now).bind(3, number_of(id)).run();
}

void ReplicaStore::applied(const std::string& id, unsigned generation, const std::string& as_of, const std::string& detail, std::int64_t now) {
    Statement(db_, "UPDATE replicas SET generation = ?, applying = 0, state = 'replicating', detail = ?, as_of = ?, updated = ? WHERE number = ?")
        .bind(1, std::int64_t{generation}).bind(2, detail).bind(3, as_of).bind(4, now).bind(5, number_of(id)).run();
}

void ReplicaStore::set_frozen(const std::string& id, bool frozen, std::int64_t now) {
    Statement(db_, "UPDATE replicas SET frozen = ?, updated = ? WHERE number = ?").bind(1, std::int64_t{frozen ? 1 : 0}).bind(2, now).bind(3, number_of(id)).run();
}

bool ReplicaStore::remove(const std::string& id) {
    return Statement(db_, "DELETE FROM replicas WHERE number = ?").bind(1, number_of(id)).run() > 0;
}

}  // namespace dagda::controller
