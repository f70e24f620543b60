#include "disk/Target.hpp"

#include "core/Error.hpp"
#include "core/Sysfs.hpp"
#include "core/UniqueFd.hpp"
#include "core/Units.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>

namespace dagda::disk {

namespace fs = std::filesystem;

namespace {

// SCSI VPD page 0x80 is binary: a 4-byte header, then the serial number in ASCII.
std::optional<std::string> read_vpd_serial(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    const std::string page((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (page.size() <= 4) return std::nullopt;
    const std::string serial = sysfs::trim(page.substr(4));
    return serial.empty() ? std::nullopt : std::optional<std::string>(serial);
}

std::optional<std::string> first_attr(const std::vector<fs::path>& candidates) {
    for (const auto& path : candidates) {
        if (auto value = sysfs::read_attr(path); value && !value->empty()) return value;
    }
    return std::nullopt;
}

std::vector<std::string> links_to(const fs::path& folder, const fs::path& device) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(folder, ec)) {
        std::error_code resolve_ec;
        const fs::path target = fs::canonical(entry.path(), resolve_ec);
        if (!resolve_ec && target == device) names.push_back(entry.path().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

void read_block_identity(TargetInfo& info, const SystemRoots& roots) {
    const fs::path dir = sysfs_block_dir(info.devno, roots);
    if (dir.empty()) return;
    info.kernel_name = dir.filename().string();
    info.model = first_attr({dir / "device" / "model"});
    // Where the serial lives depends on the transport: NVMe, virtio, then SCSI/SATA VPD.
    info.serial = first_attr({dir / "device" / "serial", dir / "serial"});
    if (!info.serial) info.serial = read_vpd_serial(dir / "device" / "vpd_pg80");
    info.wwn = first_attr({dir / "wwid", dir / "device" / "wwid"});
    if (const auto rotational = sysfs::read_uint(dir / "queue" / "rotational")) info.rotational = *rotational != 0;
    info.removable = sysfs::read_uint(dir / "removable").value_or(0) != 0;
    info.read_only = info.read_only || sysfs::read_uint(dir / "ro").value_or(0) != 0;
    const fs::path node = roots.dev / info.kernel_name;
    info.by_id = links_to(roots.dev / "disk" / "by-id", node);
    info.by_path = links_to(roots.dev / "disk" / "by-path", node);
}

void read_block_geometry(TargetInfo& info, int fd) {
    std::uint64_t bytes = 0;
    if (::ioctl(fd, BLKGETSIZE64, &bytes) != 0) throw_errno("cannot read the size of " + info.path);
    int logical = 0;
    unsigned physical = 0;
    if (::ioctl(fd, BLKSSZGET, &logical) != 0) throw_errno("cannot read the sector size of " + info.path);
    if (::ioctl(fd, BLKPBSZGET, &physical) != 0) physical = static_cast<unsigned>(logical);
    int read_only = 0;
    if (::ioctl(fd, BLKROGET, &read_only) == 0) info.read_only = read_only != 0;
    info.size_bytes = bytes;
    info.logical_sector_size = static_cast<unsigned>(logical);
    info.physical_sector_size = physical;
}

}  // namespace

fs::path sysfs_block_dir(dev_t devno, const SystemRoots& roots) {
    const fs::path link = roots.sys / "dev" / "block" /
                          (std::to_string(major(devno)) + ":" + std::to_string(minor(devno)));
    std::error_code ec;
    fs::path dir = fs::canonical(link, ec);
    return ec ? fs::path() : dir;
}

TargetInfo probe_target(const std::string& path, const SystemRoots& roots) {
    TargetInfo info;
    info.path = path;
    const UniqueFd fd = UniqueFd::open(path, O_RDONLY);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw_errno("cannot stat " + path);
    if (S_ISBLK(st.st_mode)) {
        info.is_block_device = true;
        info.devno = st.st_rdev;
        read_block_geometry(info, fd.get());
        read_block_identity(info, roots);
    } else if (S_ISREG(st.st_mode)) {
        info.size_bytes = static_cast<std::uint64_t>(st.st_size);
        // access() says yes to root whatever the mode; a file with no write bit was made
        // read-only on purpose (a kept original, an evidence copy) and stays untouched.
        info.read_only = (st.st_mode & 0222) == 0 || ::access(path.c_str(), W_OK) != 0;
    } else {
        throw Error(ErrorKind::failed, path + " is neither a block device nor a regular (image) file");
    }
    return info;
}

std::string describe(const TargetInfo& target) {
    std::string text = target.path + " (";
    if (!target.is_block_device) text += "image file, ";
    if (target.model) text += *target.model + ", ";
    if (target.serial) text += "serial " + *target.serial + ", ";
    if (target.wwn) text += "WWN " + *target.wwn + ", ";
    text += human_bytes(target.size_bytes) + ", " + std::to_string(target.size_bytes) + " bytes)";
    return text;
}

}  // namespace dagda::disk
