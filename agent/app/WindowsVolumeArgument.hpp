#pragma once
/// The VOLUME argument of the Windows commands: a volume file, a partition's block device, or a
/// whole disk (or disk image) with `--partition N`; without --partition, a disk's partitions are
/// searched for the one that holds Windows.

#include "core/UniqueFd.hpp"
#include "disk/Layout.hpp"
#include "disk/Safety.hpp"
#include "disk/Target.hpp"

#include <boost/program_options.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace dagda::app {

struct WindowsVolume {
    disk::TargetInfo target;          ///< the file or device given
    std::optional<disk::Layout> layout;  ///< the disk's partition table, when VOLUME is a disk
    unsigned partition = 0;           ///< the partition holding the volume; 0 for a volume file
    std::uint64_t offset = 0;         ///< byte range of the volume in the target
    std::uint64_t size = 0;
    std::string name;                 ///< "disk.img partition 2", for messages
    UniqueFd claim;                   ///< exclusive hold on a block device while writing
    UniqueFd fd;
};

/// Adds --partition N.
void add_volume_options(boost::program_options::options_description& options);

/// Opens VOLUME. For writing, the target's identity is checked first (check_target_safe: the
/// assertions must match and nothing may be using it) and a block device is held exclusively.
WindowsVolume open_windows_volume(const std::string& path, const boost::program_options::variables_map& vm, bool for_writing,
                                  const disk::IdentityAssertions& expected);

}  // namespace dagda::app
