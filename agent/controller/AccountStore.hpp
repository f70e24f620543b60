#pragma once
/// The web console's people (docs/api.md, "Console"): operator accounts with argon2id password
/// hashes (libsodium's crypto_pwhash_str), their sessions (a cookie's token, kept only as a
/// keyed hash, with the CSRF token the page sends back on every change), and the audit log of
/// who did what. Its own connection to the database Store made (schema version 11).
///
/// Hashing a password takes a tenth of a second and 64 MiB on purpose: hash_password() and
/// password_matches() are static so the server can run them off its I/O thread.

#include "controller/Sqlite.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dagda::controller {

struct UserRecord {
    std::string name;
    std::string role;           ///< "viewer" or "operator"
    std::string password_hash;  ///< crypto_pwhash_str's string ($argon2id$…)
    std::int64_t created = 0;
};

/// Who a request comes from, once its cookie is checked.
struct SessionRecord {
    std::string user;
    std::string role;
    std::string csrf;  ///< the token the page sends in X-CSRF-Token with every change
    std::int64_t expires = 0;
};

/// A session just opened: `token` goes into the cookie, and only now exists in clear.
struct NewSession {
    std::string token;
    SessionRecord record;
};

class AccountStore {
public:
    /// How long a session lasts without use, and at most.
    static constexpr std::int64_t idle_seconds = 30 * 60;
    static constexpr std::int64_t longest_seconds = 12 * 3600;

    /// Opens the controller's database (Store has made or migrated it).
    /// `audit_kept`: how many of the newest audit entries are kept (older ones are deleted as new
    /// ones come), so a controller that runs for years, or is hammered with logins, keeps a
    /// bounded database.
    explicit AccountStore(const std::string& path, std::int64_t audit_kept = 200000);

    /// The argon2id hash of `password` (libsodium, interactive limits: 2 passes over 64 MiB).
    /// Throws Error{usage} for a password shorter than 10 characters or longer than 1024.
    static std::string hash_password(const std::string& password);
    /// Whether `password` is the one `hash` was made from (constant time in the password).
    static bool password_matches(const std::string& hash, const std::string& password);
    /// Refuses (Error{usage}) a name that is not 1-64 of A-Z a-z 0-9 . _ -, or a role that is
    /// neither viewer nor operator.
    static void check_user(const std::string& name, const std::string& role);

    /// Adds a user; Error{refused} when the name is taken.
    void add_user(const std::string& name, const std::string& role, const std::string& password_hash, std::int64_t now);
    /// Replaces a user's password and ends every session of theirs; false when there is no such user.
    bool set_password(const std::string& name, const std::string& password_hash);
    /// Removes a user and their sessions; false when there is no such user.
    bool remove_user(const std::string& name);
    std::optional<UserRecord> user(const std::string& name);
    std::vector<UserRecord> users();

    NewSession open_session(const UserRecord& user, std::int64_t now);
    /// The live session a cookie's token names (its idle expiry moved on), or nothing: unknown,
    /// expired, or its user removed.
    std::optional<SessionRecord> session(const std::string& token, std::int64_t now);
    void close_session(const std::string& token);

    /// Appends to the audit log (each text cut to a bound and made valid UTF-8), deleting what falls
    /// out of the newest `audit_kept`; returns the entry's number.
    std::int64_t audit(std::int64_t now, const std::string& who, const std::string& address, const std::string& action,
                       const std::string& outcome);
    /// Entries after number `after`, oldest first, at most `limit`:
    /// [{"seq", "at", "who", "address", "action", "outcome"}].
    nlohmann::json audit_log(std::int64_t after, std::size_t limit);

private:
    Database db_;
    std::int64_t audit_kept_;
};

}  // namespace dagda::controller
