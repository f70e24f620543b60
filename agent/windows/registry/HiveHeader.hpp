#pragma once
/// The base block of a registry hive file (the first 4096 bytes: "regf", sequence numbers,
/// checksum), read before hivex opens the hive so a damaged or dirty hive is caught with a clear
/// reason, and the policy for dirty hives and their transaction logs.
///
/// Policy (docs/windows.md, "Hives in the wild"): Windows 8.1 and later write registry changes to
/// SYSTEM.LOG1/.LOG2 first and mark the hive dirty (primary sequence ≠ secondary sequence) until
/// they are flushed into it. hivex ignores the logs, and a commit marks the hive clean, after
/// which Windows ignores the logs too: replaying nothing, it would boot with the changes they
/// held silently lost. So Dagda refuses a dirty hive whose logs hold data, and proceeds with a
/// warning when a dirty hive has no logs or only empty ones (nothing can be lost).

#include <cstdint>
#include <string>
#include <vector>

namespace dagda::windows::registry {

struct HiveHeader {
    std::uint32_t primary_sequence = 0;
    std::uint32_t secondary_sequence = 0;
    std::uint32_t major_version = 0;
    std::uint32_t minor_version = 0;
    std::uint32_t bins_size = 0;  ///< bytes of hive bins after the base block
    bool dirty() const { return primary_sequence != secondary_sequence; }
};

/// Parses the base block of `file` (its bytes); throws Error{failed} naming `name` when the file
/// is shorter than its header says, lacks "regf", or its checksum is wrong.
HiveHeader parse_hive_header(const std::vector<std::uint8_t>& file, const std::string& name);

/// A transaction log beside a hive: its name and how many bytes it holds.
struct HiveLog {
    std::string name;
    std::uint64_t size = 0;
};

/// What to do with a hive before editing it, per the policy above.
struct HiveVerdict {
    bool refuse = false;
    std::string message;  ///< why it is refused, or the warning to show; empty when clean
};

HiveVerdict judge_hive(const HiveHeader& header, const std::vector<HiveLog>& logs, const std::string& name);

}  // namespace dagda::windows::registry
