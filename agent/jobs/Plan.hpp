#pragma once
/// A recovery plan (docs/plan.md) as the job runner sees it: a name, the disks it names (their
/// identities stay JSON here; the steps module resolves them), and ordered steps, each a
/// registered step name with its arguments.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace dagda::jobs {

struct PlanStep {
    std::size_t index = 0;   ///< 0-based position in the plan
    std::string name;        ///< "image.restore"
    nlohmann::json args;     ///< every key of the step object but "step"
};

struct Plan {
    int version = 1;
    std::string name;
    nlohmann::json disks = nlohmann::json::object();  ///< name → identity object
    std::vector<PlanStep> steps;
    /// Where every write to the plan's one disk first saves what it overwrites ("" for nowhere):
    /// docs/plan.md, and journal-format.md "Undo journal".
    std::string undo_journal;
    /// Pre-signed URLs of the chain's files in an object store (docs/plan.md "archive_urls"):
    /// where the steps find an archive's bases, whose signatures differ per file.
    std::vector<std::string> archive_urls;
    nlohmann::json document;  ///< the whole plan as read: what the journal records and compares

    /// "step 3 (image.restore)" for messages.
    static std::string label(const PlanStep& step);
};

/// Parses a plan. Structural problems (not JSON, unknown top-level keys, a wrong version, no
/// steps, a step without "step", a disk that is not an object) are appended to `problems`; the
/// plan returned holds what could be read.
Plan parse_plan(const std::string& text, const std::string& name, std::vector<std::string>& problems);

}  // namespace dagda::jobs
