#include "steps/WindowsPartition.hpp"

#include "core/Error.hpp"
#include "disk/LayoutReader.hpp"
#include "windows/ntfs/NtfsVolume.hpp"
#include "windows/system/WindowsInstall.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <vector>

namespace dagda::steps {

namespace {

bool holds_windows(int fd, std::uint64_t offset, std::uint64_t size, const std::string& name) {
    try {
        const windows::ntfs::NtfsVolume volume(fd, offset, size, name, windows::ntfs::Access::read_only);
        windows::system::find_system_root(volume);
        return true;
    } catch (const Error&) {
        return false;  // not NTFS, or NTFS without Windows: not the one looked for
    }
}

}  // namespace

PartitionRange windows_partition(int fd, const std::string& device, std::uint64_t device_size, const disk::Layout& layout,
                                 std::optional<unsigned> wanted) {
    const std::uint64_t ss = layout.sector_size;
    std::vector<const disk::PartitionSpec*> found;
    for (const disk::PartitionSpec& part : layout.partitions) {
        if (wanted && part.number != *wanted) continue;
        if (part.end() * ss > device_size)
            throw Error(ErrorKind::failed, device + ": partition " + std::to_string(part.number) + " ends past the end of the disk");
        if (wanted || holds_windows(fd, part.start * ss, part.size * ss, device)) found.push_back(&part);
    }
    if (wanted && found.empty()) throw Error(ErrorKind::failed, device + " has no partition " + std::to_string(*wanted));
    if (found.empty()) throw Error(ErrorKind::failed, "no partition of " + device + " holds Windows");
    if (found.size() > 1) {
        std::string numbers;
        for (const auto* part : found) numbers += (numbers.empty() ? "" : ", ") + std::to_string(part->number);
        throw Error(ErrorKind::usage, "partitions " + numbers + " of " + device + " hold Windows; name one with the partition number");
    }
    const disk::PartitionSpec& part = *found.front();
    return {part.number, part.start * ss, part.size * ss, device + " partition " + std::to_string(part.number)};
}

WindowsTarget::WindowsTarget(const PlanDisk& disk, std::optional<unsigned> partition) {
    const disk::TargetInfo now = disk::probe_target(disk.target.path);
    disk::check_target_safe(now, disk.expected);
    claim = disk::hold_exclusive(now);
    fd = UniqueFd::open(now.path, O_RDWR);
    const auto read = disk::read_layout(now);
    if (!read) throw Error(ErrorKind::failed, now.path + " has no partition table");
    layout = *read;
    range = windows_partition(fd.get(), now.path, now.size_bytes, layout, partition);
}

WindowsTarget::~WindowsTarget() {
    if (fd) ::fdatasync(fd.get());  // best effort: every writer synced what it wrote already
}

}  // namespace dagda::steps
