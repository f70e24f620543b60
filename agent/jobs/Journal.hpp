#pragma once
/// The job journal (docs/journal-format.md): an append-only file of records, each framed by its
/// length and a CRC-32 of its payload, synced to storage before append() returns. It lets an agent
/// that was killed or rebooted resume a job: what the journal holds happened. A torn tail (a
/// record cut short by a crash or power loss, or damaged) is detected by its frame and ignored:
/// reading stops at the first bad record, and the next append overwrites it.

#include "core/UniqueFd.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace dagda::jobs {

struct JournalContents {
    std::vector<nlohmann::json> records;  ///< every intact record, in order
    std::uint64_t valid_bytes = 0;        ///< where the intact part ends
    std::uint64_t ignored_bytes = 0;      ///< a torn or damaged tail after it (0 when none)
    std::uint32_t version = 0;            ///< the file's format version (0: no header yet)
};

/// Reads a journal file; a file that does not exist reads as empty. Throws Error{failed} when the
/// file is not a journal at all (another magic, or a version this dagda does not read): that is
/// not a torn tail.
JournalContents read_journal(const std::string& path);

class Journal {
public:
    /// Opens (or creates) `path` for appending after its intact records, cutting a torn tail; an
    /// older version's header is rewritten as the current one (its records remain valid).
    explicit Journal(std::string path);

    const std::string& path() const noexcept { return path_; }
    /// The intact records found when it was opened.
    const JournalContents& opened() const noexcept { return opened_; }
    /// Appends one record and syncs it to storage.
    void append(const nlohmann::json& record);

private:
    std::string path_;
    UniqueFd fd_;
    JournalContents opened_;
    std::uint64_t end_ = 0;
};

}  // namespace dagda::jobs
