#include "controller/Store.hpp"

#include "controller/BootScripts.hpp"
#include "core/Error.hpp"
#include "protocol/Proof.hpp"

#include <algorithm>
#include <cstdint>

namespace dagda::controller {

namespace {

// Version 1: the first tables. Version 2 adds jobs.reason (why a job was refused, cancelled or
// failed). Version 3 adds enrolments.mac (the network card a machine boots by PXE with) and
// enrolments.boot_armed (whether the boot port may hand that card its agent's token). Version 4
// adds file_grants (the archive files each job may read, by the hash of its key) and the
// jobs' event budget (event_bytes, event_count) and result_seq (the number of its job_result
// event). Version 5 adds enrolments.fetched_from (the address that last fetched the enrolment's
// token from the boot port). Version 6 adds hypervisors, version 7 recoveries and their events
// (RecoveryStore), version 8 the built-in replication engine's sessions (ReplicaStore), version 9 file_grants.access
// ('read', or 'upload': the job may upload that file, docs/api.md "Uploads"), version 10
// file_grants.base (an upload's planned base generation, '' for a full backup; NULL for grants
// made before it, whose base is not checked), version 11 the web console's users, their sessions
// and the audit log (AccountStore). A database is brought up to the current version when opened,
// in one transaction.
constexpr const char* schema_v1 = R"sql(
CREATE TABLE IF NOT EXISTS enrolments (
  name TEXT PRIMARY KEY, token TEXT NOT NULL, machine_id TEXT);
CREATE TABLE IF NOT EXISTS agents (
  id TEXT PRIMARY KEY, enrolment TEXT NOT NULL UNIQUE REFERENCES enrolments(name), machine_id TEXT NOT NULL,
  boot_id TEXT NOT NULL, agent_version TEXT NOT NULL, inventory TEXT NOT NULL, last_seen INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY, agent_id TEXT NOT NULL REFERENCES agents(id), plan TEXT NOT NULL, state TEXT NOT NULL,
  created INTEGER NOT NULL, updated INTEGER NOT NULL, acked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS events (
  job TEXT NOT NULL REFERENCES jobs(id), seq INTEGER NOT NULL, event TEXT NOT NULL, PRIMARY KEY (job, seq));
)sql";
constexpr const char* migration_v2 = "ALTER TABLE jobs ADD COLUMN reason TEXT;";
constexpr const char* migration_v3 = R"sql(
ALTER TABLE enrolments ADD COLUMN mac TEXT;
ALTER TABLE enrolments ADD COLUMN boot_armed INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX enrolments_by_mac ON enrolments(mac);
)sql";
constexpr const char* migration_v4 = R"sql(
CREATE TABLE file_grants (
  key_hash TEXT NOT NULL, job TEXT NOT NULL REFERENCES jobs(id), name TEXT NOT NULL, PRIMARY KEY (key_hash, name));
ALTER TABLE jobs ADD COLUMN event_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN event_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN result_seq INTEGER;
UPDATE jobs SET event_count = (SELECT COUNT(*) FROM events WHERE events.job = jobs.id),
                event_bytes = (SELECT COALESCE(SUM(LENGTH(event)), 0) FROM events WHERE events.job = jobs.id);
)sql";
constexpr const char* migration_v5 = "ALTER TABLE enrolments ADD COLUMN fetched_from TEXT;";
constexpr const char* migration_v6 = R"sql(
CREATE TABLE hypervisors (
  name TEXT PRIMARY KEY, uri TEXT NOT NULL, pool TEXT NOT NULL, network TEXT NOT NULL, credentials_file TEXT NOT NULL);
)sql";
constexpr const char* migration_v7 = R"sql(
CREATE TABLE recoveries (
  id TEXT PRIMARY KEY, number INTEGER NOT NULL UNIQUE, state TEXT NOT NULL, order_json TEXT NOT NULL, next_step INTEGER NOT NULL,
  made TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL, reason TEXT);
CREATE TABLE recovery_events (
  recovery TEXT NOT NULL REFERENCES recoveries(id), seq INTEGER NOT NULL, event TEXT NOT NULL, PRIMARY KEY (recovery, seq));
)sql";
constexpr const char* migration_v8 = R"sql(
CREATE TABLE replicas (
  number INTEGER PRIMARY KEY AUTOINCREMENT, server TEXT NOT NULL, hypervisor TEXT NOT NULL, volumes TEXT NOT NULL,
  generation INTEGER NOT NULL, applying INTEGER NOT NULL, frozen INTEGER NOT NULL, state TEXT NOT NULL, detail TEXT NOT NULL,
  as_of TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL);
)sql";
constexpr const char* migration_v9 = "ALTER TABLE file_grants ADD COLUMN access TEXT NOT NULL DEFAULT 'read';";
constexpr const char* migration_v10 = "ALTER TABLE file_grants ADD COLUMN base TEXT;";
constexpr const char* migration_v11 = R"sql(
CREATE TABLE users (name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL, created INTEGER NOT NULL);
CREATE TABLE web_sessions (
  token_hash TEXT PRIMARY KEY, user TEXT NOT NULL, csrf TEXT NOT NULL, created INTEGER NOT NULL, expires INTEGER NOT NULL,
  ends INTEGER NOT NULL);
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, who TEXT NOT NULL, address TEXT NOT NULL, action TEXT NOT NULL,
  outcome TEXT NOT NULL);
)sql";
constexpr std::int64_t schema_version = 11;

/// What the database keeps of a grant's key: a keyed hash, so a copy of the database (a backup of
/// the controller's state) opens no archive.
std::string grant_key_hash(const std::string& key) { return protocol::token_proof(key, "dagda files grant"); }

/// Whether the hello's inventory lists a network interface with this (canonical) MAC.
bool inventory_has_mac(const nlohmann::json& inventory, const std::string& mac) {
    if (!inventory.is_object() || !inventory.contains("network") || !inventory["network"].is_array()) return false;
    for (const auto& link : inventory["network"])
        if (link.is_object() && link.contains("mac") && link["mac"].is_string() && canonical_mac(link["mac"].get<std::string>()) == mac)
            return true;
    return false;
}

/// The peer is told only "unauthorized" (the message's code); the reason stays in the
/// controller's own log and tests, so a refusal does not tell which enrolments exist.
[[noreturn]] void unauthorized(const std::string& why) { throw Error(ErrorKind::refused, "unauthorized: " + why); }

JobRecord read_job(const Statement& row) {
    return {row.text(0), row.text(1), row.text(3), nlohmann::json::parse(row.text(2)), row.number(4), row.number(5), row.number(6), row.text(7)};
}

constexpr const char* job_columns = "id, agent_id, plan, state, created, updated, acked, reason";

}  // namespace

Store::Store(const std::string& path) : db_(path) {
    std::int64_t version = 0;
    {
        Statement read(db_, "PRAGMA user_version");
        read.step();
        version = read.number(0);
    }
    if (version > schema_version) throw Error(ErrorKind::failed, path + " was written by a newer controller (schema " + std::to_string(version) + ")");
    if (version == schema_version) return;
    Transaction transaction(db_);
    if (version < 1) db_.execute(schema_v1);
    if (version < 2) db_.execute(migration_v2);
    if (version < 3) db_.execute(migration_v3);
    if (version < 4) db_.execute(migration_v4);
    if (version < 5) db_.execute(migration_v5);
    if (version < 6) db_.execute(migration_v6);
    if (version < 7) db_.execute(migration_v7);
    if (version < 8) db_.execute(migration_v8);
    if (version < 9) db_.execute(migration_v9);
    if (version < 10) db_.execute(migration_v10);
    if (version < 11) db_.execute(migration_v11);
    db_.execute("PRAGMA user_version = " + std::to_string(schema_version));
    transaction.commit();
}

std::string Store::enrol(const std::string& name, const std::string& mac) {
    if (name.empty() || name.size() > 128) throw Error(ErrorKind::usage, "an enrolment name is 1 to 128 characters");
    if (name.rfind("helper-", 0) == 0) throw Error(ErrorKind::usage, "enrolment names starting \"helper-\" are the controller's own, for its helper VMs");
    if (!mac.empty() && canonical_mac(mac) != mac) throw Error(ErrorKind::usage, "\"" + mac + "\" is not a MAC address as aa:bb:cc:dd:ee:ff");
    const std::string token = protocol::random_nonce();
    Transaction transaction(db_);
    if (!mac.empty() && enrolment_for_mac(mac))
        throw Error(ErrorKind::refused, "the MAC address " + mac + " belongs to the enrolment \"" + enrolment_for_mac(mac)->name + "\" already");
    // A MAC enrolment starts armed: its first PXE boot gets the agent (and the token).
    Statement insert(db_, "INSERT OR IGNORE INTO enrolments (name, token, mac, boot_armed) VALUES (?, ?, ?, ?)");
    insert.bind(1, name).bind(2, token);
    if (mac.empty()) insert.bind_null(3);
    else insert.bind(3, mac);
    insert.bind(4, std::int64_t{mac.empty() ? 0 : 1});
    if (insert.run() == 0) throw Error(ErrorKind::refused, "the enrolment \"" + name + "\" exists already");
    transaction.commit();
    return token;
}

std::string Store::renew_token(const std::string& name) {
    const std::string token = protocol::random_nonce();
    Transaction transaction(db_);
    Statement find(db_, "SELECT mac FROM enrolments WHERE name = ?");
    if (find.bind(1, name).step()) {
        if (find.optional_text(0)) throw Error(ErrorKind::refused, "the enrolment \"" + name + "\" is a PXE machine's, not a helper VM's");
        Statement(db_, "UPDATE enrolments SET token = ?, machine_id = NULL, fetched_from = NULL WHERE name = ?").bind(1, token).bind(2, name).run();
    } else {
        Statement(db_, "INSERT INTO enrolments (name, token, boot_armed) VALUES (?, ?, 0)").bind(1, name).bind(2, token).run();
    }
    transaction.commit();
    return token;
}

std::optional<BootEnrolment> Store::enrolment_for_mac(const std::string& mac) {
    Statement find(db_, "SELECT name, token, boot_armed FROM enrolments WHERE mac = ?");
    if (mac.empty() || !find.bind(1, mac).step()) return std::nullopt;
    return BootEnrolment{find.text(0), find.text(1), find.number(2) != 0};
}

std::string Store::arm_boot(const std::string& name) {
    Statement find(db_, "SELECT mac FROM enrolments WHERE name = ?");
    if (!find.bind(1, name).step()) throw Error(ErrorKind::usage, "no enrolment \"" + name + "\"");
    const auto mac = find.optional_text(0);
    if (!mac) throw Error(ErrorKind::refused, "the enrolment \"" + name + "\" names no MAC address: it does not boot by PXE from this controller");
    // A new boot, a new fetch: the address that fetched the token last time proves nothing now.
    Statement(db_, "UPDATE enrolments SET boot_armed = 1, fetched_from = NULL WHERE name = ?").bind(1, name).run();
    return *mac;
}

std::vector<EnrolmentRecord> Store::enrolments() {
    std::vector<EnrolmentRecord> out;
    Statement rows(db_, "SELECT e.name, e.mac, e.boot_armed, e.machine_id, a.id FROM enrolments e "
                        "LEFT JOIN agents a ON a.enrolment = e.name ORDER BY e.name");
    while (rows.step())
        out.push_back({rows.text(0), rows.optional_text(1).value_or(""), rows.number(2) != 0, rows.optional_text(3).value_or(""),
                       rows.optional_text(4).value_or("")});
    return out;
}

Admission Store::admit(const AgentHello& hello, std::int64_t now) {
    Transaction transaction(db_);
    Statement find(db_, "SELECT token, machine_id, mac, fetched_from FROM enrolments WHERE name = ?");
    if (!find.bind(1, hello.enrolment).step()) unauthorized("no enrolment \"" + hello.enrolment.substr(0, 128) + "\"");
    if (!protocol::same_proof(hello.proof, protocol::token_proof(find.text(0), hello.nonce))) unauthorized("the proof does not match the enrolment's token");
    // A token enrolled for a MAC travels in a cleartext iPXE script (BootServer); it is good only
    // on a machine that has that network card, so a copy read off the wire is worth less.
    const auto mac = find.optional_text(2);
    if (mac && !inventory_has_mac(hello.inventory, *mac))
        unauthorized("the enrolment \"" + hello.enrolment + "\" is for the machine with MAC " + *mac + ", and this agent has no such network card");
    const auto bound = find.optional_text(1);
    if (bound && *bound != hello.machine_id) unauthorized("the token of \"" + hello.enrolment + "\" belongs to another machine");
    Admission admission{"agent-" + hello.enrolment, ""};
    if (!bound) {
        const auto fetched_from = find.optional_text(3);
        if (mac && !fetched_from)
            admission.not_bound = "no PXE boot fetched its token from the boot port since it was armed";
        else if (mac && *fetched_from != hello.peer_address)
            admission.not_bound = "its token was fetched from " + *fetched_from + " and the agent connects from " + hello.peer_address;
        else
            Statement(db_, "UPDATE enrolments SET machine_id = ? WHERE name = ?").bind(1, hello.machine_id).bind(2, hello.enrolment).run();
    }
    // The agent is up: the boot port stops handing out its token until the operator arms it again.
    Statement(db_, "UPDATE enrolments SET boot_armed = 0 WHERE name = ?").bind(1, hello.enrolment).run();
    Statement upsert(db_, "INSERT INTO agents (id, enrolment, machine_id, boot_id, agent_version, inventory, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?) "
                          "ON CONFLICT(id) DO UPDATE SET machine_id = excluded.machine_id, boot_id = excluded.boot_id, "
                          "agent_version = excluded.agent_version, inventory = excluded.inventory, last_seen = excluded.last_seen");
    upsert.bind(1, admission.agent_id).bind(2, hello.enrolment).bind(3, hello.machine_id).bind(4, hello.boot_id).bind(5, hello.agent_version)
        .bind(6, hello.inventory.dump()).bind(7, now).run();
    transaction.commit();
    return admission;
}

void Store::token_fetched(const std::string& enrolment, const std::string& address) {
    Statement(db_, "UPDATE enrolments SET fetched_from = ? WHERE name = ?").bind(1, address).bind(2, enrolment).run();
}

std::vector<AgentRecord> Store::agents() {
    std::vector<AgentRecord> out;
    Statement rows(db_, "SELECT id, enrolment, machine_id, boot_id, agent_version, inventory, last_seen FROM agents ORDER BY id");
    while (rows.step())
        out.push_back({rows.text(0), rows.text(1), rows.text(2), rows.text(3), rows.text(4), nlohmann::json::parse(rows.text(5)), rows.number(6)});
    return out;
}

std::optional<AgentRecord> Store::agent(const std::string& id) {
    for (AgentRecord& a : agents())
        if (a.id == id) return std::move(a);
    return std::nullopt;
}

std::string Store::submit_job(const std::string& agent_id, const nlohmann::json& plan, std::int64_t now, const FileGrant& grant) {
    Transaction transaction(db_);
    Statement exists(db_, "SELECT 1 FROM agents WHERE id = ?");
    if (!exists.bind(1, agent_id).step()) throw Error(ErrorKind::usage, "no agent \"" + agent_id + "\"");
    Statement count(db_, "SELECT COUNT(*) FROM jobs");
    count.step();
    const std::string id = "job-" + std::to_string(count.number(0) + 1);
    Statement(db_, "INSERT INTO jobs (id, agent_id, plan, state, created, updated) VALUES (?, ?, ?, 'queued', ?, ?)")
        .bind(1, id).bind(2, agent_id).bind(3, plan.dump()).bind(4, now).bind(5, now).run();
    for (const std::string& name : grant.names)
        Statement(db_, "INSERT OR IGNORE INTO file_grants (key_hash, job, name) VALUES (?, ?, ?)")
            .bind(1, grant_key_hash(grant.key)).bind(2, id).bind(3, name).run();
    for (const UploadGrant& upload : grant.uploads) {
        Statement insert(db_, "INSERT OR IGNORE INTO file_grants (key_hash, job, name, access, base) VALUES (?, ?, ?, 'upload', ?)");
        insert.bind(1, grant_key_hash(grant.key)).bind(2, id).bind(3, upload.name);
        if (upload.base) insert.bind(4, *upload.base);
        else insert.bind_null(4);
        insert.run();
    }
    transaction.commit();
    return id;
}

bool Store::file_granted(const std::string& key, const std::string& name) {
    if (key.empty()) return false;
    Statement grant(db_, "SELECT 1 FROM file_grants g JOIN jobs j ON j.id = g.job "
                         "WHERE g.key_hash = ? AND g.name = ? AND g.access = 'read' AND j.state IN ('queued', 'offered', 'running')");
    return grant.bind(1, grant_key_hash(key)).bind(2, name).step();
}

std::optional<UploadGrant> Store::upload_grant(const std::string& key, const std::string& name) {
    if (key.empty()) return std::nullopt;
    Statement grant(db_, "SELECT g.base FROM file_grants g JOIN jobs j ON j.id = g.job "
                         "WHERE g.key_hash = ? AND g.name = ? AND g.access = 'upload' AND j.state IN ('queued', 'offered', 'running')");
    if (!grant.bind(1, grant_key_hash(key)).bind(2, name).step()) return std::nullopt;
    return UploadGrant{name, grant.optional_text(0)};
}

bool Store::upload_pending(const std::string& name) {
    Statement grant(db_, "SELECT 1 FROM file_grants g JOIN jobs j ON j.id = g.job "
                         "WHERE g.name = ? AND g.access = 'upload' AND j.state IN ('queued', 'offered', 'running')");
    return grant.bind(1, name).step();
}

std::vector<std::string> Store::take_ended_uploads() {
    Transaction transaction(db_);
    std::vector<std::string> names;
    {
        Statement rows(db_, "SELECT g.name FROM file_grants g JOIN jobs j ON j.id = g.job "
                            "WHERE g.access = 'upload' AND j.state NOT IN ('queued', 'offered', 'running')");
        while (rows.step()) names.push_back(rows.text(0));
    }
    Statement(db_, "DELETE FROM file_grants WHERE access = 'upload' AND job IN "
                   "(SELECT id FROM jobs WHERE state NOT IN ('queued', 'offered', 'running'))").run();
    transaction.commit();
    return names;
}

std::optional<JobRecord> Store::job(const std::string& id) {
    Statement row(db_, std::string("SELECT ") + job_columns + " FROM jobs WHERE id = ?");
    if (!row.bind(1, id).step()) return std::nullopt;
    return read_job(row);
}

std::optional<JobRecord> Store::unfinished_job(const std::string& agent_id) {
    Statement row(db_, std::string("SELECT ") + job_columns +
                           " FROM jobs WHERE agent_id = ? AND state IN ('queued', 'offered', 'running') ORDER BY created, id LIMIT 1");
    if (!row.bind(1, agent_id).step()) return std::nullopt;
    return read_job(row);
}

std::vector<JobRecord> Store::jobs(const std::optional<std::string>& agent_id, std::size_t limit) {
    std::vector<JobRecord> out;
    // rowid is the order of submission, which the ids ("job-9" < "job-10") do not sort by as text.
    Statement rows(db_, std::string("SELECT ") + job_columns + " FROM jobs WHERE ?1 IS NULL OR agent_id = ?1 ORDER BY rowid DESC LIMIT ?2");
    if (agent_id) rows.bind(1, *agent_id);
    else rows.bind_null(1);
    rows.bind(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
    while (rows.step()) out.push_back(read_job(rows));
    return out;
}

void Store::set_job_state(const std::string& job, const std::string& state, std::int64_t now, const std::string& reason) {
    Statement update(db_, "UPDATE jobs SET state = ?, updated = ?, reason = ? WHERE id = ?");
    update.bind(1, state).bind(2, now);
    if (reason.empty()) update.bind_null(3);
    else update.bind(3, reason);
    if (update.bind(4, job).run() == 0) throw Error(ErrorKind::usage, "no job \"" + job + "\"");
}

}  // namespace dagda::controller
