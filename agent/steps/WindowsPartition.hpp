#pragma once
/// Which partition of a disk holds Windows: the one named, or the only one whose NTFS volume
/// has a system root.

#include "core/UniqueFd.hpp"
#include "disk/Layout.hpp"
#include "steps/PlanDisks.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace dagda::steps {

struct PartitionRange {
    unsigned number = 0;
    std::uint64_t offset = 0;  ///< bytes
    std::uint64_t size = 0;
    std::string name;          ///< "disk.img partition 2"
};

/// Partition `wanted` of `layout`, or the one partition holding Windows. Throws Error{failed}
/// when there is none, Error{usage} when several do (name one), and Error{failed} for a
/// partition past the disk's end.
PartitionRange windows_partition(int fd, const std::string& device, std::uint64_t device_size, const disk::Layout& layout,
                                 std::optional<unsigned> wanted);

/// The Windows partition of a plan's disk, opened for writing after the disk's identity is
/// checked again and while it is held exclusively; synced when closed.
struct WindowsTarget {
    UniqueFd claim, fd;
    disk::Layout layout;
    PartitionRange range;

    WindowsTarget(const PlanDisk& disk, std::optional<unsigned> partition);
    WindowsTarget(const WindowsTarget&) = delete;
    WindowsTarget& operator=(const WindowsTarget&) = delete;
    ~WindowsTarget();
};

}  // namespace dagda::steps
