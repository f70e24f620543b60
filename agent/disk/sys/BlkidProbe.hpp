#pragma once
/// RAII over one libblkid probe (`blkid_probe`); the handle never leaves disk/sys.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dagda::disk::sys {

/// One partition as libblkid reports it; start and size in 512-byte units (libblkid's unit).
struct BlkidPartition {
    int number = 0;
    std::uint64_t start_512 = 0;
    std::uint64_t size_512 = 0;
    int type = 0;                 ///< dos type byte
    std::string type_string;      ///< gpt type GUID (lower case)
    std::string uuid;             ///< gpt partition GUID
    std::string name;             ///< gpt name (UTF-8)
    std::uint64_t flags = 0;      ///< dos: boot indicator; gpt: attribute bits
};

struct BlkidTable {
    std::string type;             ///< "dos", "gpt", ...
    std::string id;               ///< as libblkid spells it
    std::vector<BlkidPartition> partitions;
};

/// A filesystem (or other superblock) found on a range of a disk.
struct BlkidFilesystem {
    std::string type;             ///< "ntfs", "vfat", "ext4", ...
    std::string label;
    std::string uuid;
};

class BlkidProbe {
public:
    /// Probes `size` bytes of `fd` from `offset` (size 0: to the end). Throws Error{failed}.
    BlkidProbe(int fd, std::uint64_t offset, std::uint64_t size, const std::string& what);
    BlkidProbe(const BlkidProbe&) = delete;
    BlkidProbe& operator=(const BlkidProbe&) = delete;
    ~BlkidProbe();

    /// The partition table, or nullopt when there is none libblkid recognises.
    std::optional<BlkidTable> partition_table();

    /// The filesystem in the probed range, or nullopt when there is none (or it is ambiguous).
    std::optional<BlkidFilesystem> filesystem();

    /// The label of every signature libblkid finds in the range, ambiguous ones included (a
    /// filesystem hidden behind another signature still counts for safety checks).
    std::vector<std::string> all_labels();

private:
    struct Handle;
    Handle* probe_;
    std::string what_;
};

}  // namespace dagda::disk::sys
