#pragma once
/// What a disk is: a block device or an image file, its geometry and its identity.
///
/// Identity (serial, WWN, model, /dev/disk names) is what an operator and the controller use to
/// prove a target is the right one; a path like /dev/sdb is never proof, because it changes
/// between boots.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace dagda::disk {

/// Where the prober looks; tests point these at temporary trees.
struct SystemRoots {
    std::filesystem::path sys = "/sys";
    std::filesystem::path dev = "/dev";
    std::filesystem::path proc = "/proc";
};

struct TargetInfo {
    std::string path;                    ///< as given by the user
    bool is_block_device = false;        ///< false: a regular (image) file
    std::uint64_t size_bytes = 0;
    unsigned logical_sector_size = 512;  ///< bytes; image files are treated as 512
    unsigned physical_sector_size = 512;
    dev_t devno = 0;                     ///< block devices only
    std::string kernel_name;             ///< "sda", "loop0"; empty for files
    std::optional<std::string> model;
    std::optional<std::string> serial;
    std::optional<std::string> wwn;
    std::vector<std::string> by_id;      ///< /dev/disk/by-id names that point at this disk
    std::vector<std::string> by_path;    ///< /dev/disk/by-path names
    std::optional<bool> rotational;      ///< unknown for files
    bool removable = false;
    bool read_only = false;

    std::uint64_t sectors() const noexcept { return size_bytes / logical_sector_size; }
};

/// Reads a target's geometry and identity; throws Error{failed} when `path` cannot be opened or
/// is neither a block device nor a regular file.
TargetInfo probe_target(const std::string& path, const SystemRoots& roots = {});

/// sysfs folder of a whole-disk block device ("/sys/dev/block/8:0" resolved), or empty.
std::filesystem::path sysfs_block_dir(dev_t devno, const SystemRoots& roots = {});

/// One-line description for plans and prompts: "/dev/sdb (QEMU HARDDISK, serial X, 40 GiB)".
std::string describe(const TargetInfo& target);

}  // namespace dagda::disk
