#pragma once
/// The plan of a whole-server recovery from a TIB disk archive (docs/plan.md): the archive's
/// layout fitted to the disk, every volume, inoculation when a volume holds Windows, and the boot
/// fix-up for its NTFS volumes. `dagda plan from-archive` prints it, the console runs it, and the
/// controller sends it to an agent (a `recover` job, docs/api.md).

#include "image/source/HttpsTrust.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace dagda::recovery {

/// The disk a recovery writes, as a plan names it.
struct RecoveryTarget {
    nlohmann::json identity;  ///< the plan's "disks" entry: serial, wwn, by_path, size, path, model
    std::string description;  ///< one line for the plan's name: "/dev/sdb (QEMU HARDDISK, serial X, 40 GiB, … bytes)"
    /// What the disk holds now, when that is known and it holds anything ("a gpt partition table
    /// with 2 partitions (1 ntfs, 2 ntfs)"): the plan's name says it will be overwritten.
    std::string contents = {};
};

/// Where the archive is, twice: `open` is read here to decide the steps (a path or URL this
/// process can open); `reference` is what the plan names, which the agent running the plan opens
/// (the same string at the machine; an https:// URL of the controller's archive folder when the
/// controller makes the plan).
struct ArchiveLocation {
    std::string open;
    std::string reference;
    /// What `open`'s bases are found and trusted with (a bucket's pre-signed URLs); none for a path.
    image::HttpsTrust access = {};
};

/// What the disk already holds. A recovery writes it all; a replica (a disk that holds the
/// generation's volumes already, written in place by a replication engine) gets no restore, and the
/// archive's layout and first track only when it has no partition table (one it has is the
/// source's, newer than any backup's): it is made bootable and inoculated where it is.
enum class PlanTarget { blank, replica_with_table, replica_without_table };

/// `inoculation` holds the windows.inoculate arguments ({"auto": true} or {"for": [...]}, and
/// "drivers"). Reads the archive's chain, and mounts each NTFS volume through it to see whether
/// it holds Windows. Throws Error{failed} when the archive cannot be read or is a volume backup
/// (no layout).
nlohmann::json recovery_plan(const ArchiveLocation& archive, const RecoveryTarget& target, const nlohmann::json& inoculation,
                             PlanTarget holds = PlanTarget::blank);

/// The file of generation `number` (1 = the full backup the chain starts with) of the chain that
/// ends at `location` (a path or URL), found beside it; `location` itself when `number` is empty.
/// Throws Error{usage} for a number outside 1 to the chain's length, Error{failed} for a chain
/// that cannot be read.
std::string generation_location(const std::string& location, std::optional<unsigned> number);

/// The file names (without their folder) of the generation at `location` and of every generation
/// it is based on, newest first: what an agent must read to restore it. Throws Error{failed} for
/// a chain that cannot be read.
std::vector<std::string> chain_file_names(const std::string& location);

}  // namespace dagda::recovery
