#include "app/WindowsVolumeArgument.hpp"

#include "core/Error.hpp"
#include "disk/LayoutReader.hpp"
#include "steps/WindowsPartition.hpp"

#include <fcntl.h>

namespace dagda::app {

namespace po = boost::program_options;

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
        const steps::PartitionRange range = steps::windows_partition(v.fd.get(), v.target.path, v.target.size_bytes, *v.layout, wanted);
        v.partition = range.number;
        v.offset = range.offset;
        v.size = range.size;
        v.name = range.name;
    } else {
        if (wanted) throw Error(ErrorKind::usage, path + " has no partition table, so --partition does not apply: it is a volume");
        v.size = v.target.size_bytes;
        v.name = path;
    }
    return v;
}

}  // namespace dagda::app
