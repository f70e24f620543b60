#pragma once
/// The checks that stand between a command and a disk write. Each failure throws
/// Error{refused} with a message that says what was found; nothing has been written by then.

#include "core/UniqueFd.hpp"
#include "disk/Target.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace dagda::disk {

/// Filesystem labels of the Dagda live medium; a disk holding one is never a target. The ISO (on
/// a CD, or written to a USB stick) is DAGDA_RESCUE, since ISO 9660 volume ids have no '-';
/// DAGDA-RESCUE is the label a medium made by hand is told to carry.
inline constexpr const char* boot_medium_labels[] = {"DAGDA_RESCUE", "DAGDA-RESCUE"};

/// Whether a filesystem on the target (the whole disk, or one of its partitions) carries a label
/// of the Dagda boot medium.
bool holds_boot_medium(const TargetInfo& target);

/// What the operator asserts about the target. At least one identity fact is required for a
/// block device; `yes` alone is accepted only for an image file.
struct IdentityAssertions {
    std::optional<std::uint64_t> size_bytes;
    std::optional<std::string> serial;
    std::optional<std::string> wwn;
    bool yes = false;
};

/// Refuses unless the assertions are present and every one matches the target.
void check_identity(const TargetInfo& target, const IdentityAssertions& expected);

/// Refuses a target that is mounted, used as swap, held by device-mapper/md, claimed exclusively
/// by someone else, attached to a loop device (image files), read-only, or that carries the Dagda
/// boot medium's label.
void check_not_in_use(const TargetInfo& target, const SystemRoots& roots = {});

/// For a block device, an exclusive (O_EXCL) open held until the returned descriptor is closed: while
/// it is held the kernel refuses to mount the device or let md/dm claim it, so nothing can start
/// using the disk between the checks and the commit. Image files get an empty descriptor.
/// Refuses when the device is already busy.
UniqueFd hold_exclusive(const TargetInfo& target);

/// check_identity, then check_not_in_use.
void check_target_safe(const TargetInfo& target, const IdentityAssertions& expected, const SystemRoots& roots = {});

}  // namespace dagda::disk
