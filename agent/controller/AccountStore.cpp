#include "controller/AccountStore.hpp"

#include "core/Error.hpp"
#include "protocol/Proof.hpp"

#include <sodium.h>

#include <algorithm>

namespace dagda::controller {

using nlohmann::json;

namespace {

/// What the database keeps of a session's token: a keyed hash, so a copy of the database (a
/// backup of the controller's state) logs nobody in.
std::string session_hash(const std::string& token) { return protocol::token_proof(token, "dagda console session"); }

/// `text` as the audit log keeps it: at most `limit` bytes (cut between characters), and valid
/// UTF-8 (a byte that is not becomes U+FFFD). A name tried at the login or a request's path is
/// the caller's to choose; one invalid byte kept as it is would make every later answer of
/// GET /api/audit fail to encode.
std::string audit_text(const std::string& text, std::size_t limit) {
    std::string cut = text;
    if (cut.size() > limit) {
        std::size_t end = limit;
        while (end > 0 && (static_cast<unsigned char>(cut[end]) & 0xC0) == 0x80) --end;
        cut = cut.substr(0, end) + "…";
    }
    return json::parse(json(cut).dump(-1, ' ', false, json::error_handler_t::replace)).get<std::string>();
}

void start_sodium() {
    if (sodium_init() < 0) throw Error(ErrorKind::failed, "libsodium could not start");
}

}  // namespace

AccountStore::AccountStore(const std::string& path, std::int64_t audit_kept) : db_(path), audit_kept_(audit_kept) { start_sodium(); }

std::string AccountStore::hash_password(const std::string& password) {
    if (password.size() < 10) throw Error(ErrorKind::usage, "a password has at least 10 characters");
    if (password.size() > 1024) throw Error(ErrorKind::usage, "a password has at most 1024 characters");
    start_sodium();
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        throw Error(ErrorKind::failed, "out of memory hashing a password (argon2id needs 64 MiB)");
    return hash;
}

bool AccountStore::password_matches(const std::string& hash, const std::string& password) {
    if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES || password.size() > 1024) return false;
    start_sodium();
    return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

void AccountStore::check_user(const std::string& name, const std::string& role) {
    const bool plain = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    });
    if (!plain) throw Error(ErrorKind::usage, "a user's name is 1 to 64 of A-Z a-z 0-9 . _ - (it goes into URLs as it is)");
    if (role != "viewer" && role != "operator") throw Error(ErrorKind::usage, "a user's role is viewer or operator, not \"" + role + "\"");
}

void AccountStore::add_user(const std::string& name, const std::string& role, const std::string& password_hash, std::int64_t now) {
    check_user(name, role);
    Transaction transaction(db_);
    Statement exists(db_, "SELECT 1 FROM users WHERE name = ?");
    if (exists.bind(1, name).step()) throw Error(ErrorKind::refused, "there is a user \"" + name + "\" already");
    Statement(db_, "INSERT INTO users (name, role, password_hash, created) VALUES (?, ?, ?, ?)")
        .bind(1, name).bind(2, role).bind(3, password_hash).bind(4, now).run();
    transaction.commit();
}

bool AccountStore::set_password(const std::string& name, const std::string& password_hash) {
    Transaction transaction(db_);
    if (Statement(db_, "UPDATE users SET password_hash = ? WHERE name = ?").bind(1, password_hash).bind(2, name).run() == 0) return false;
    // A new password logs every session out: the old one may be what leaked.
    Statement(db_, "DELETE FROM web_sessions WHERE user = ?").bind(1, name).run();
    transaction.commit();
    return true;
}

bool AccountStore::remove_user(const std::string& name) {
    Transaction transaction(db_);
    Statement(db_, "DELETE FROM web_sessions WHERE user = ?").bind(1, name).run();
    const bool removed = Statement(db_, "DELETE FROM users WHERE name = ?").bind(1, name).run() > 0;
    transaction.commit();
    return removed;
}

std::optional<UserRecord> AccountStore::user(const std::string& name) {
    Statement row(db_, "SELECT name, role, password_hash, created FROM users WHERE name = ?");
    if (!row.bind(1, name).step()) return std::nullopt;
    return UserRecord{row.text(0), row.text(1), row.text(2), row.number(3)};
}

std::vector<UserRecord> AccountStore::users() {
    std::vector<UserRecord> out;
    Statement rows(db_, "SELECT name, role, password_hash, created FROM users ORDER BY name");
    while (rows.step()) out.push_back({rows.text(0), rows.text(1), rows.text(2), rows.number(3)});
    return out;
}

NewSession AccountStore::open_session(const UserRecord& user, std::int64_t now) {
    NewSession opened{protocol::random_nonce(), {user.name, user.role, protocol::random_nonce(), now + idle_seconds}};
    Statement(db_, "DELETE FROM web_sessions WHERE expires <= ? OR ends <= ?").bind(1, now).bind(2, now).run();
    Statement(db_, "INSERT INTO web_sessions (token_hash, user, csrf, created, expires, ends) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(1, session_hash(opened.token)).bind(2, user.name).bind(3, opened.record.csrf).bind(4, now)
        .bind(5, opened.record.expires).bind(6, now + longest_seconds).run();
    return opened;
}

std::optional<SessionRecord> AccountStore::session(const std::string& token, std::int64_t now) {
    if (token.empty()) return std::nullopt;
    const std::string hash = session_hash(token);
    Statement row(db_, "SELECT s.user, u.role, s.csrf, s.ends, s.expires FROM web_sessions s JOIN users u ON u.name = s.user "
                       "WHERE s.token_hash = ? AND s.expires > ? AND s.ends > ?");
    if (!row.bind(1, hash).bind(2, now).bind(3, now).step()) return std::nullopt;
    SessionRecord found{row.text(0), row.text(1), row.text(2), row.number(4)};
    // The idle expiry moves on at most once a minute: every request of a page would otherwise
    // be a synced database write on the I/O thread.
    const std::int64_t moved = std::min(now + idle_seconds, row.number(3));
    if (moved - found.expires >= 60) {
        found.expires = moved;
        Statement(db_, "UPDATE web_sessions SET expires = ? WHERE token_hash = ?").bind(1, moved).bind(2, hash).run();
    }
    return found;
}

void AccountStore::close_session(const std::string& token) {
    Statement(db_, "DELETE FROM web_sessions WHERE token_hash = ?").bind(1, session_hash(token)).run();
}

std::int64_t AccountStore::audit(std::int64_t now, const std::string& who, const std::string& address, const std::string& action,
                                 const std::string& outcome) {
    Statement(db_, "INSERT INTO audit_log (at, who, address, action, outcome) VALUES (?, ?, ?, ?, ?)")
        .bind(1, now).bind(2, audit_text(who, 128)).bind(3, audit_text(address, 64)).bind(4, audit_text(action, 256)).bind(5, audit_text(outcome, 512)).run();
    Statement last(db_, "SELECT last_insert_rowid()");
    last.step();
    const std::int64_t seq = last.number(0);
    // Entries are numbered in order: what falls out of the newest audit_kept_ is one range of the
    // key, mostly the one entry this insert pushed out.
    if (seq > audit_kept_) Statement(db_, "DELETE FROM audit_log WHERE seq <= ?").bind(1, seq - audit_kept_).run();
    return seq;
}

json AccountStore::audit_log(std::int64_t after, std::size_t limit) {
    json out = json::array();
    Statement rows(db_, "SELECT seq, at, who, address, action, outcome FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?");
    rows.bind(1, after).bind(2, static_cast<std::int64_t>(limit));
    while (rows.step())
        out.push_back({{"seq", rows.number(0)}, {"at", rows.number(1)}, {"who", rows.text(2)}, {"address", rows.text(3)},
                       {"action", rows.text(4)}, {"outcome", rows.text(5)}});
    return out;
}

}  // namespace dagda::controller
