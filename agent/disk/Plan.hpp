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

enum class ActionKind { create_table, create_partition, write_table, write_boot_code, write_first_track, verify };

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
    /// The size of the disk the layout was read from, in its sectors, when known (a TIB records
    /// it): `fit` then changes the layout by the difference in disk size only, so a target of the
    /// source's size gets the source's layout exactly.
    std::optional<std::uint64_t> source_sectors;
    /// The source disk's first track (a TIB's TRAK record: sector 0 up to its first partition):
    /// sector 0's bytes 444-445 and the boot-loader gap after the table are written from it.
    std::vector<std::uint8_t> first_track;
    /// Where ids the layout lacks come from: empty draws them at random; otherwise they are
    /// derived from this text (the plan step and the disk's identity), so a dry run and the real
    /// run of one plan on one disk print and write the same ids.
    std::string id_seed;
};

struct Plan {
    TargetInfo target;
    Layout layout;                            ///< as it will be on the target: ids resolved, fitted
    std::vector<std::uint8_t> boot_code;      ///< the 440 bytes to write
    std::string boot_code_source;             ///< "the layout", "syslinux mbr.bin", "zeros"
    std::vector<std::uint8_t> first_track;    ///< PlanOptions::first_track; empty when none
    std::vector<Action> actions;
};

/// Computes the plan for writing `requested` to `target`: fits it when asked, checks it
/// (require_valid_layout), and settles everything random (a missing disk id or partition GUID
/// gets one here, so the printed plan is exactly what is written; see PlanOptions::id_seed).
/// Throws Error.
Plan build_plan(const Layout& requested, const TargetInfo& target, const PlanOptions& options);

/// The part of `first_track` written after the new table (bytes, from its start): the sectors
/// between the table (sector 0; on gpt also its header and entries) and the first partition.
/// Empty (first == last) when there is none.
std::pair<std::uint64_t, std::uint64_t> first_track_gap(const Layout& layout, std::uint64_t track_bytes);

/// The plan as numbered lines, one per action, for the operator and `--dry-run`.
std::string plan_text(const Plan& plan);

}  // namespace dagda::disk
