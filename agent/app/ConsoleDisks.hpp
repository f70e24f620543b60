#pragma once
/// The disks the console offers as recovery targets, and the ones it holds back with the reason:
/// a disk with a mounted filesystem (the medium the backups are read from is one) and the Dagda
/// boot medium are never offered, so a slip of a number cannot overwrite them.

#include "disk/Target.hpp"

#include <string>
#include <vector>

namespace dagda::app {

struct DiskChoice {
    disk::TargetInfo target;
    std::string held_back;  ///< why it is not offered; empty when it is
};

/// Every disk of the machine (disk::list_disks) that can be read, offered or held back.
std::vector<DiskChoice> target_choices(const disk::SystemRoots& roots = {});

/// One line for a menu: "/dev/sda  256 MiB  QEMU HARDDISK  serial QM00001" (the model and serial
/// when known).
std::string disk_line(const disk::TargetInfo& target);

/// Mount points of the filesystems on `target` (the whole disk or one of its partitions), read
/// from /proc/self/mountinfo; empty for an image file or an unmounted disk.
std::vector<std::string> mount_points_on(const disk::TargetInfo& target, const disk::SystemRoots& roots = {});

}  // namespace dagda::app
