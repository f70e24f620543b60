#pragma once
/// Plan as data: the ordered actions `dagda disk apply` will perform, computed and printed
/// before anything is written (libstorage-ng's probe → plan → commit).

#include "disk/Layout.hpp"
#include "disk/Target.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dagda::disk {

enum class ActionKind { create_table, create_partition, write_table, write_boot_code, verify };

/// One step of a plan, with its text in two tenses ("Create …" in the plan, "Creating …" while
/// committing).
struct Action {
    ActionKind kind;
    std::optional<PartitionSpec> partition;  ///< for create_partition
    std::string verb;                        ///< "Create", "Write"
    std::string object;                      ///< the rest of the sentence

    std::string plan_text() const { return verb + " " + object; }
    std::string doing_text() const;          ///< "Creating partition 1 …"
};

struct PlanOptions {
    bool fit = false;                 ///< adapt the layout to the target's size (see fit_layout)
    std::optional<unsigned> grow;     ///< partition that takes the difference; only read with `fit`
};

struct Plan {
    TargetInfo target;
    Layout layout;                            ///< as it will be on the target: ids resolved, fitted
    std::vector<std::uint8_t> boot_code;      ///< the 440 bytes to write
    std::string boot_code_source;             ///< "the layout", "syslinux mbr.bin", "zeros"
    std::vector<Action> actions;
};

/// Computes the plan for writing `requested` to `target`: fits it when asked, checks it
/// (require_valid_layout), and settles everything random (a missing disk id or partition GUID
/// gets a fresh one here, so the printed plan is exactly what is written). Throws Error.
Plan build_plan(const Layout& requested, const TargetInfo& target, const PlanOptions& options);

/// The plan as numbered lines, one per action, for the operator and `--dry-run`.
std::string plan_text(const Plan& plan);

}  // namespace dagda::disk
