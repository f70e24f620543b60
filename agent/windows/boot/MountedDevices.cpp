#include "windows/boot/MountedDevices.hpp"

#include "core/Bytes.hpp"

#include <algorithm>
#include <cstring>

namespace dagda::windows::boot {

namespace {

using registry::RegistryEdit;
using registry::RegistryValue;
using registry::ValueType;

constexpr std::size_t mbr_value_size = 12;
constexpr char gpt_prefix[] = "DMIO:ID:";
constexpr std::size_t gpt_prefix_size = sizeof gpt_prefix - 1;
constexpr std::size_t gpt_value_size = gpt_prefix_size + 16;

std::string why_for(const PartitionMove& move) {
    return "partition " + std::to_string(move.number) + " on the new disk (was " + move.before.describe() + ")";
}

// The identity the new disk gives the partition this value names, if the value names one of the
// old disk's partitions that changes. GPT values hold only the partition GUID, so they are
// matched on it alone; MBR values must match signature and offset both.
const PartitionMove* move_for(const PartitionIdentity& named, const DiskMove& move) {
    const PartitionMove* found =
        named.style == disk::TableKind::gpt ? move.find_gpt_partition(named.partition_guid) : move.find(named);
    return found && found->changes() ? found : nullptr;
}

}  // namespace

std::optional<PartitionIdentity> decode_mounted_device(const RegistryValue& value) {
    if (value.type != ValueType::binary) return std::nullopt;
    const std::uint8_t* bytes = value.data.data();
    PartitionIdentity id;
    if (value.data.size() == mbr_value_size) {
        id.style = disk::TableKind::dos;
        id.disk_signature = load_le<std::uint32_t>(bytes);
        id.offset = load_le<std::uint64_t>(bytes + 4);
        return id;
    }
    if (value.data.size() == gpt_value_size && std::memcmp(bytes, gpt_prefix, gpt_prefix_size) == 0) {
        id.style = disk::TableKind::gpt;
        std::copy_n(bytes + gpt_prefix_size, 16, id.partition_guid.begin());
        return id;
    }
    return std::nullopt;
}

RegistryValue encode_mounted_device(const PartitionIdentity& partition) {
    std::vector<std::uint8_t> bytes;
    if (partition.style == disk::TableKind::dos) {
        bytes.resize(mbr_value_size);
        store_le(bytes.data(), partition.disk_signature);
        store_le(bytes.data() + 4, partition.offset);
    } else {
        bytes.assign(gpt_prefix, gpt_prefix + gpt_prefix_size);
        bytes.insert(bytes.end(), partition.partition_guid.begin(), partition.partition_guid.end());
    }
    return RegistryValue::binary(std::move(bytes));
}

std::vector<RegistryEdit> plan_mounted_devices(const registry::Hive& system, const DiskMove& move) {
    std::vector<RegistryEdit> edits;
    const auto key = system.find(mounted_devices_key);
    if (!key) return edits;
    for (const auto& [name, value] : system.values(*key)) {
        const auto named = decode_mounted_device(value);
        if (!named) continue;
        if (const PartitionMove* found = move_for(*named, move))
            edits.push_back(RegistryEdit::set(mounted_devices_key, name, encode_mounted_device(found->after), why_for(*found)));
    }
    return edits;
}

}  // namespace dagda::windows::boot
