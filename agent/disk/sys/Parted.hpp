#pragma once
/// RAII over libparted: one device handle (`PedDevice`), one disk handle (`PedDisk`), and a scope
/// that turns libparted's exception callbacks into messages a C++ caller can throw.
/// No handle leaves disk/sys, and no C++ exception crosses libparted's C callback.

#include <cstdint>
#include <string>
#include <vector>

namespace dagda::disk::sys {

/// While alive, libparted exceptions are recorded instead of printed or answered interactively:
/// errors are cancelled (the failing libparted call returns failure) and warnings are ignored
/// (recorded for the report). The messages are this object's; one may be alive per thread
/// (libparted's handler is process-global and takes no user data), a second is refused.
class PartedMessages {
public:
    PartedMessages();
    PartedMessages(const PartedMessages&) = delete;
    PartedMessages& operator=(const PartedMessages&) = delete;
    ~PartedMessages();

    /// Everything libparted said since construction, one message per entry.
    const std::vector<std::string>& messages() const { return messages_; }
    /// "libparted: <messages>" or "libparted gave no reason" for error text.
    std::string summary() const;
    /// Called by the handler with each message libparted gives.
    void record(std::string message);

private:
    std::vector<std::string> messages_;
};

/// One libparted device (a block device or an image file).
class PartedDevice {
public:
    explicit PartedDevice(const std::string& path);
    PartedDevice(const PartedDevice&) = delete;
    PartedDevice& operator=(const PartedDevice&) = delete;
    ~PartedDevice();

    void* handle() const noexcept { return device_; }
    const std::string& path() const noexcept { return path_; }

private:
    void* device_;
    std::string path_;
};

/// Where a dos partition lives: in the MBR, as the MBR's extended container, or inside it.
enum class PartitionKind { primary, extended, logical };

/// A new, empty partition table built in memory on a device; nothing is written until commit.
class PartedDisk {
public:
    /// `label` is libparted's name: "msdos" or "gpt".
    PartedDisk(PartedDevice& device, const char* label, PartedMessages& messages);
    /// The table now on the device, as libparted reads it.
    PartedDisk(PartedDevice& device, PartedMessages& messages);
    PartedDisk(const PartedDisk&) = delete;
    PartedDisk& operator=(const PartedDisk&) = delete;
    ~PartedDisk();

    /// Adds a partition at exactly [start, end_inclusive]; throws Error{failed} when libparted
    /// refuses it (overlap, outside the usable area, a logical partition outside the extended one).
    void add_partition(PartitionKind kind, std::uint64_t start, std::uint64_t end_inclusive, bool boot_flag);
    /// Writes the table to the device and flushes it.
    void commit_to_device();
    /// Tells the kernel about the new partitions; false when it could not (the reason is in the
    /// messages). Callers skip it for image files, where libparted would only run udevadm.
    bool commit_to_os();

private:
    void* disk_;
    PartedDevice& device_;
    PartedMessages& messages_;
};

}  // namespace dagda::disk::sys
