#include "disk/Safety.hpp"

#include "core/Error.hpp"
#include "core/Sysfs.hpp"
#include "core/UniqueFd.hpp"
#include "disk/LayoutReader.hpp"
#include "disk/PartitionTypes.hpp"
#include "disk/sys/BlkidProbe.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace dagda::disk {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void refuse(const TargetInfo& target, const std::string& why) {
    throw Error(ErrorKind::refused, "refusing to write " + target.path + ": " + why + " (nothing was written)");
}

std::string devno_text(dev_t devno) { return std::to_string(major(devno)) + ":" + std::to_string(minor(devno)); }

// The disk and each of its partitions, as "major:minor" with the kernel name.
std::vector<std::pair<std::string, std::string>> disk_and_partitions(const TargetInfo& target, const SystemRoots& roots) {
    std::vector<std::pair<std::string, std::string>> nodes{{devno_text(target.devno), target.kernel_name}};
    const fs::path dir = sysfs_block_dir(target.devno, roots);
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (!fs::exists(entry.path() / "partition")) continue;
        if (const auto dev = sysfs::read_attr(entry.path() / "dev")) nodes.push_back({*dev, entry.path().filename().string()});
    }
    return nodes;
}

void check_mounts(const TargetInfo& target, const SystemRoots& roots) {
    const auto nodes = disk_and_partitions(target, roots);
    std::ifstream mountinfo(roots.proc / "self" / "mountinfo");
    std::string line;
    while (std::getline(mountinfo, line)) {
        std::istringstream fields(line);
        std::string id, parent, devno, root, mount_point;
        fields >> id >> parent >> devno >> root >> mount_point;
        for (const auto& [node_devno, name] : nodes)
            if (devno == node_devno) refuse(target, "/dev/" + name + " is mounted on " + mount_point);
    }
    std::ifstream swaps(roots.proc / "swaps");
    std::getline(swaps, line);  // header
    while (std::getline(swaps, line)) {
        const std::string path = line.substr(0, line.find_first_of(" \t"));
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0 || !S_ISBLK(st.st_mode)) continue;
        for (const auto& [node_devno, name] : nodes)
            if (devno_text(st.st_rdev) == node_devno) refuse(target, "/dev/" + name + " is in use as swap");
    }
    const fs::path dir = sysfs_block_dir(target.devno, roots);
    for (const auto& [node_devno, name] : nodes) {
        const fs::path holders = (name == target.kernel_name ? dir : dir / name) / "holders";
        std::error_code ec;
        for (const auto& holder : fs::directory_iterator(holders, ec))
            refuse(target, "/dev/" + name + " is held by " + holder.path().filename().string() + " (device-mapper, md or similar)");
    }
}

UniqueFd open_exclusive(const TargetInfo& target) {
    // The kernel refuses O_EXCL on a block device that is mounted or claimed (md, dm, another
    // partitioner): the last word on "in use", covering cases the files above do not show.
    const int fd = ::open(target.path.c_str(), O_RDONLY | O_EXCL | O_CLOEXEC);
    if (fd < 0 && errno == EBUSY) refuse(target, "the kernel reports the device busy (mounted or claimed)");
    if (fd < 0) throw_errno("cannot open " + target.path);
    return UniqueFd(fd);
}

void check_loop_backing(const TargetInfo& target, const SystemRoots& roots) {
    std::error_code ec;
    const fs::path image = fs::canonical(target.path, ec);
    if (ec) return;
    for (const auto& entry : fs::directory_iterator(roots.sys / "block", ec)) {
        const auto backing = sysfs::read_attr(entry.path() / "loop" / "backing_file");
        if (backing && fs::path(*backing) == image)
            refuse(target, "the image file is attached to /dev/" + entry.path().filename().string() + "; detach it first");
    }
}

// The disk as a whole and every partition of its current table (a table dagda cannot write, a
// partition past the end of a damaged disk: the ranges that exist are still checked).
std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges_to_probe(const TargetInfo& target) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges{{0, target.size_bytes}};
    std::optional<Layout> layout;
    try {
        layout = read_layout(target);
    } catch (const Error&) {
        return ranges;
    }
    if (!layout) return ranges;
    for (const auto& part : layout->partitions) {
        const std::uint64_t offset = part.start * layout->sector_size;
        if (is_extended(layout->label, part.type) || offset >= target.size_bytes) continue;
        ranges.push_back({offset, std::min(part.size * layout->sector_size, target.size_bytes - offset)});
    }
    return ranges;
}

/// The boot medium's label found on the target, or "".
std::string boot_medium_label_on(const TargetInfo& target) {
    const UniqueFd fd = UniqueFd::open(target.path, O_RDONLY);
    for (const auto& [offset, size] : ranges_to_probe(target)) {
        std::vector<std::string> labels;
        try {
            labels = sys::BlkidProbe(fd.get(), offset, size, target.path).all_labels();
        } catch (const Error&) {
            continue;  // a range libblkid cannot open holds no filesystem it could name
        }
        for (const auto& label : labels)
            for (const char* medium : boot_medium_labels)
                if (label == medium) return label;
    }
    return "";
}

void check_boot_medium(const TargetInfo& target) {
    const std::string label = boot_medium_label_on(target);
    if (!label.empty()) refuse(target, "it holds the Dagda boot medium (filesystem label " + label + ")");
}

}  // namespace

bool holds_boot_medium(const TargetInfo& target) { return !boot_medium_label_on(target).empty(); }

void check_identity(const TargetInfo& target, const IdentityAssertions& expected) {
    const bool asserted = expected.size_bytes || expected.serial || expected.wwn;
    if (!asserted && !(expected.yes && !target.is_block_device)) {
        refuse(target, target.is_block_device
                           ? "its identity is not asserted; give --expect-size, --expect-serial or --expect-wwn "
                             "(the target is " + describe(target) + ")"
                           : "its identity is not asserted; give --yes for an image file, or --expect-size");
    }
    if (expected.size_bytes && *expected.size_bytes != target.size_bytes)
        refuse(target, "expected " + std::to_string(*expected.size_bytes) + " bytes, the target has " +
                           std::to_string(target.size_bytes));
    if (expected.serial && target.serial != expected.serial)
        refuse(target, "expected serial " + *expected.serial + ", the target has " + target.serial.value_or("no serial"));
    if (expected.wwn && target.wwn != expected.wwn)
        refuse(target, "expected WWN " + *expected.wwn + ", the target has " + target.wwn.value_or("no WWN"));
}

void check_not_in_use(const TargetInfo& target, const SystemRoots& roots) {
    if (target.read_only) refuse(target, "it is read-only");
    if (target.is_block_device) {
        check_mounts(target, roots);
        open_exclusive(target);
    } else {
        check_loop_backing(target, roots);
    }
    check_boot_medium(target);
}

UniqueFd hold_exclusive(const TargetInfo& target) {
    return target.is_block_device ? open_exclusive(target) : UniqueFd();
}

void check_target_safe(const TargetInfo& target, const IdentityAssertions& expected, const SystemRoots& roots) {
    check_identity(target, expected);
    check_not_in_use(target, roots);
}

}  // namespace dagda::disk
