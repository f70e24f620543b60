// The hypervisors table of the controller's store (schema version 6).

#include "controller/Store.hpp"

#include "core/Error.hpp"

namespace dagda::controller {

namespace {

HypervisorRecord read_hypervisor(const Statement& row) { return {row.text(0), row.text(1), row.text(2), row.text(3), row.text(4)}; }

constexpr const char* hypervisor_columns = "name, uri, pool, network, credentials_file";

}  // namespace

void Store::add_hypervisor(const HypervisorRecord& hypervisor) {
    Transaction transaction(db_);
    Statement insert(db_, "INSERT OR IGNORE INTO hypervisors (name, uri, pool, network, credentials_file) VALUES (?, ?, ?, ?, ?)");
    insert.bind(1, hypervisor.name).bind(2, hypervisor.uri).bind(3, hypervisor.pool).bind(4, hypervisor.network).bind(5, hypervisor.credentials_file);
    if (insert.run() == 0) throw Error(ErrorKind::refused, "a hypervisor named \"" + hypervisor.name + "\" exists already");
    transaction.commit();
}

std::vector<HypervisorRecord> Store::hypervisors() {
    std::vector<HypervisorRecord> out;
    Statement rows(db_, std::string("SELECT ") + hypervisor_columns + " FROM hypervisors ORDER BY name");
    while (rows.step()) out.push_back(read_hypervisor(rows));
    return out;
}

std::optional<HypervisorRecord> Store::hypervisor(const std::string& name) {
    Statement row(db_, std::string("SELECT ") + hypervisor_columns + " FROM hypervisors WHERE name = ?");
    if (!row.bind(1, name).step()) return std::nullopt;
    return read_hypervisor(row);
}

bool Store::remove_hypervisor(const std::string& name) {
    return Statement(db_, "DELETE FROM hypervisors WHERE name = ?").bind(1, name).run() > 0;
}

}  // namespace dagda::controller
