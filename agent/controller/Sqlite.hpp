#pragma once
/// SQLite, the controller's state: one sqlite3 handle per Database, one sqlite3_stmt per
/// Statement. Every failure throws Error{failed} with SQLite's message.

#include <cstdint>
#include <optional>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace dagda::controller {

class Database {
public:
    /// Opens or creates `path`, in WAL mode with full sync: a controller restart or a power loss
    /// keeps every committed change.
    explicit Database(const std::string& path);
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    ~Database();

    /// Runs statements without results (schema, BEGIN/COMMIT).
    void execute(const std::string& sql);
    sqlite3* handle() const noexcept { return db_; }

private:
    sqlite3* db_ = nullptr;
};

class Statement {
public:
    Statement(Database& db, const std::string& sql);
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    Statement& bind(int index, const std::string& text);
    Statement& bind(int index, std::int64_t number);
    Statement& bind_null(int index);
    /// Steps once: true while there is a row to read.
    bool step();
    /// Steps to the end (INSERT, UPDATE); returns the rows changed.
    int run();
    std::string text(int column) const;
    std::optional<std::string> optional_text(int column) const;
    std::int64_t number(int column) const;

private:
    Database& db_;
    sqlite3_stmt* statement_ = nullptr;
};

/// BEGIN IMMEDIATE … COMMIT; rolled back when destroyed uncommitted (an exception on the way).
class Transaction {
public:
    explicit Transaction(Database& db);
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();
    void commit();

private:
    Database& db_;
    bool done_ = false;
};

}  // namespace dagda::controller
