#include "disk/sys/BlkidProbe.hpp"

#include "core/Error.hpp"

#include <blkid/blkid.h>

namespace dagda::disk::sys {

struct BlkidProbe::Handle {
    blkid_probe probe;
};

BlkidProbe::BlkidProbe(int fd, std::uint64_t offset, std::uint64_t size, const std::string& what)
    : probe_(new Handle{blkid_new_probe()}), what_(what) {
    if (!probe_->probe) {
        delete probe_;
        throw Error(ErrorKind::failed, "libblkid: cannot allocate a probe for " + what);
    }
    if (blkid_probe_set_device(probe_->probe, fd, static_cast<blkid_loff_t>(offset),
                               static_cast<blkid_loff_t>(size)) != 0) {
        blkid_free_probe(probe_->probe);
        delete probe_;
        throw Error(ErrorKind::failed, "libblkid: cannot probe " + what);
    }
}

BlkidProbe::~BlkidProbe() {
    blkid_free_probe(probe_->probe);
    delete probe_;
}

namespace {

std::string or_empty(const char* text) { return text ? text : ""; }

BlkidPartition read_partition(blkid_partition part) {
    BlkidPartition out;
    out.number = blkid_partition_get_partno(part);
    out.start_512 = static_cast<std::uint64_t>(blkid_partition_get_start(part));
    out.size_512 = static_cast<std::uint64_t>(blkid_partition_get_size(part));
    out.type = blkid_partition_get_type(part);
    out.type_string = or_empty(blkid_partition_get_type_string(part));
    out.uuid = or_empty(blkid_partition_get_uuid(part));
    out.name = or_empty(blkid_partition_get_name(part));
    out.flags = blkid_partition_get_flags(part);
    return out;
}

}  // namespace

std::optional<BlkidTable> BlkidProbe::partition_table() {
    blkid_probe pr = probe_->probe;
    blkid_probe_enable_superblocks(pr, 0);
    blkid_probe_enable_partitions(pr, 1);
    blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
    blkid_partlist list = blkid_probe_get_partitions(pr);
    if (!list) return std::nullopt;
    blkid_parttable table = blkid_partlist_get_table(list);
    if (!table) return std::nullopt;
    BlkidTable out;
    out.type = or_empty(blkid_parttable_get_type(table));
    out.id = or_empty(blkid_parttable_get_id(table));
    const int count = blkid_partlist_numof_partitions(list);
    if (count < 0) throw Error(ErrorKind::failed, "libblkid: cannot read the partitions of " + what_);
    for (int i = 0; i < count; ++i) out.partitions.push_back(read_partition(blkid_partlist_get_partition(list, i)));
    return out;
}

std::optional<BlkidFilesystem> BlkidProbe::filesystem() {
    blkid_probe pr = probe_->probe;
    blkid_probe_enable_partitions(pr, 0);
    blkid_probe_enable_superblocks(pr, 1);
    blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID);
    // safeprobe refuses ambiguous results (two signatures), which is what we want for a report.
    if (blkid_do_safeprobe(pr) != 0) return std::nullopt;
    BlkidFilesystem out;
    const char* value = nullptr;
    if (blkid_probe_lookup_value(pr, "TYPE", &value, nullptr) == 0) out.type = value;
    if (blkid_probe_lookup_value(pr, "LABEL", &value, nullptr) == 0) out.label = value;
    if (blkid_probe_lookup_value(pr, "UUID", &value, nullptr) == 0) out.uuid = value;
    if (out.type.empty()) return std::nullopt;
    return out;
}

std::vector<std::string> BlkidProbe::all_labels() {
    blkid_probe pr = probe_->probe;
    blkid_probe_enable_partitions(pr, 0);
    blkid_probe_enable_superblocks(pr, 1);
    blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL);
    blkid_reset_probe(pr);
    std::vector<std::string> labels;
    const char* value = nullptr;
    // One result per call: looping is how libblkid reports every signature it finds.
    for (int guard = 0; guard < 64 && blkid_do_probe(pr) == 0; ++guard)
        if (blkid_probe_lookup_value(pr, "LABEL", &value, nullptr) == 0) labels.emplace_back(value);
    return labels;
}

}  // namespace dagda::disk::sys
