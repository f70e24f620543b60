#include "app/WindowsVolumeArgument.hpp"

#include "core/Error.hpp"
#include "disk/LayoutReader.hpp"
#include "windows/ntfs/NtfsVolume.hpp"
#include "windows/system/WindowsInstall.hpp"

#include <fcntl.h>

namespace dagda::app {

namespace po = boost::program_options;

namespace {

bool holds_windows(int fd, std::uint64_t offset, std::uint64_t size, const std::string& name) {
    try {
        const windows::ntfs::NtfsVolume volume(fd, offset, size, name, windows::ntfs::Access::read_only);
        windows::system::find_system_root(volume);
        return true;
    } catch (const Error&) {
        return false;  // not NTFS, or NTFS without Windows: not the one we look for
    }
}

void select_partition(WindowsVolume& v, std::optional<unsigned> wanted) {
    const std::uint64_t ss = v.layout->sector_size;
    std::vector<const disk::PartitionSpec*> found;
    for (const disk::PartitionSpec& part : v.layout->partitions) {
        if (wanted && part.number != *wanted) continue;
        if (part.end() * ss > v.target.size_bytes)
            throw Error(ErrorKind::failed, v.target.path + ": partition " + std::to_string(part.number) + " ends past the end of the disk");
        if (wanted || holds_windows(v.fd.get(), part.start * ss, part.size * ss, v.target.path)) found.push_back(&part);
    }
    if (wanted && found.empty()) throw Error(ErrorKind::failed, v.target.path + " has no partition " + std::to_string(*wanted));
    if (found.empty()) throw Error(ErrorKind::failed, "no partition of " + v.target.path + " holds Windows");
    if (found.size() > 1) {
        std::string numbers;
        for (const auto* part : found) numbers += (numbers.empty() ? "" : ", ") + std::to_string(part->number);
        throw Error(ErrorKind::usage, "partitions " + numbers + " of " + v.target.path + " hold Windows; name one with --partition N");
    }
    v.partition = found.front()->number;
    v.offset = found.front()->start * ss;
    v.size = found.front()->size * ss;
    v.name = v.target.path + " partition " + std::to_string(v.partition);
}

}  // namespace

void add_volume_options(po::options_description& options) {
    options.add_options()("partition", po::value<unsigned>(),
                          "the partition of the disk VOLUME that holds Windows (default: the one partition that does)");
}

WindowsVolume open_windows_volume(const std::string& path, const po::variables_map& vm, bool for_writing,
                                  const disk::IdentityAssertions& expected) {
    WindowsVolume v;
    v.target = disk::probe_target(path);
    if (for_writing) {
        disk::check_target_safe(v.target, expected);
        v.claim = disk::hold_exclusive(v.target);
    }
    v.fd = UniqueFd::open(path, for_writing ? O_RDWR : O_RDONLY);
    v.layout = disk::read_layout(v.target);
    const std::optional<unsigned> wanted = vm.count("partition") ? std::optional(vm["partition"].as<unsigned>()) : std::nullopt;
    if (v.layout) {
        select_partition(v, wanted);
    } else {
        if (wanted) throw Error(ErrorKind::usage, path + " has no partition table, so --partition does not apply: it is a volume");
        v.size = v.target.size_bytes;
        v.name = path;
    }
    return v;
}

}  // namespace dagda::app
