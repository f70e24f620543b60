#include "windows/boot/BcdDevices.hpp"

#include "core/Bytes.hpp"
#include "core/Error.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>

namespace dagda::windows::boot {

namespace {

using registry::RegistryEdit;
using registry::RegistryValue;

// Offsets in a descriptor, from its header (see the tables in the header file).
constexpr std::size_t header_size = 0x10;
constexpr std::size_t size_field = 0x08;
constexpr std::size_t partition_id_field = 0x10;
constexpr std::size_t local_type_field = 0x20;
constexpr std::size_t style_field = 0x24;
constexpr std::size_t disk_id_field = 0x28;
constexpr std::uint32_t local_hard_disk = 0;
constexpr std::uint32_t style_gpt = 0;
constexpr std::uint32_t style_mbr = 1;

// A file path descriptor: u32 version, u32 length, u32 path type, then a device descriptor.
constexpr std::size_t file_path_header = 12;
constexpr std::uint32_t file_path_version = 1;
constexpr std::uint32_t file_path_on_device = 5;
// Deeper nesting than a VHD on a partition inside a ramdisk is not something bcdedit makes; the
// bound keeps a crafted value from recursing without end.
constexpr int max_nesting = 4;

using Bytes = std::span<const std::uint8_t>;

[[noreturn]] void truncated(const std::string& what) { throw Error(ErrorKind::failed, "truncated BCD device element: " + what); }

std::uint32_t u32_at(Bytes bytes, std::size_t offset) { return load_le<std::uint32_t>(bytes.data() + offset); }

std::string hex(std::size_t number) {
    char text[24];
    std::snprintf(text, sizeof text, "0x%zx", number);
    return text;
}

std::string local_type_name(std::uint32_t type) {
    switch (type) {
        case 0: return "hard disk";
        case 1: return "floppy";
        case 2: return "CD-ROM";
        case 3: return "ramdisk";
        case 5: return "file";
        case 6: return "virtual disk";
        default: return "local device type " + std::to_string(type);
    }
}

std::string device_name(Bytes bytes, std::size_t descriptor, std::size_t end) {
    const std::uint32_t type = u32_at(bytes, descriptor);
    switch (static_cast<DeviceType>(type)) {
        case DeviceType::disk:
            return descriptor + header_size + 4 <= end ? local_type_name(u32_at(bytes, descriptor + header_size)) : "disk";
        case DeviceType::legacy_partition: return "legacy partition";
        case DeviceType::serial: return "serial port";
        case DeviceType::udp: return "network (UDP)";
        case DeviceType::boot: return "boot device";
        case DeviceType::partition: return "partition";
        case DeviceType::locate: return "locate";
    }
    return "device type " + std::to_string(type);
}

// The partition a descriptor at `at` names, when it is a partition descriptor of the known form:
// other sizes, local types or styles (raw disks) are not partitions named by identity.
std::optional<PartitionIdentity> decode_partition_at(Bytes bytes, std::size_t at, std::size_t end) {
    if (at + partition_descriptor_size > end) return std::nullopt;
    if (u32_at(bytes, at) != static_cast<std::uint32_t>(DeviceType::partition)) return std::nullopt;
    if (u32_at(bytes, at + size_field) != partition_descriptor_size) return std::nullopt;
    if (u32_at(bytes, at + local_type_field) != local_hard_disk) return std::nullopt;
    const std::uint32_t style = u32_at(bytes, at + style_field);
    PartitionIdentity id;
    if (style == style_mbr) {
        id.style = disk::TableKind::dos;
        id.offset = load_le<std::uint64_t>(bytes.data() + at + partition_id_field);
        id.disk_signature = u32_at(bytes, at + disk_id_field);
    } else if (style == style_gpt) {
        id.style = disk::TableKind::gpt;
        std::copy_n(bytes.data() + at + partition_id_field, 16, id.partition_guid.begin());
        std::copy_n(bytes.data() + at + disk_id_field, 16, id.disk_guid.begin());
    } else {
        return std::nullopt;
    }
    return id;
}

// The device holding a file-backed device's file: its file path descriptor is the last part of
// the outer descriptor, so it is the one whose length reaches exactly to the outer end. Its
// offset depends on the outer type (ramdisk, virtual disk, locate), hence the search.
std::optional<std::size_t> find_inner_device(Bytes bytes, std::size_t descriptor, std::size_t end) {
    for (std::size_t at = descriptor + header_size; at + file_path_header + header_size <= end; ++at) {
        if (u32_at(bytes, at) != file_path_version || u32_at(bytes, at + 8) != file_path_on_device) continue;
        if (at + u32_at(bytes, at + 4) == end) return at + file_path_header;
    }
    return std::nullopt;
}

void collect(Bytes bytes, std::size_t descriptor, std::size_t end, DeviceElement& out, int depth) {
    out.chain.push_back(device_name(bytes, descriptor, end));
    if (u32_at(bytes, descriptor) == static_cast<std::uint32_t>(DeviceType::partition)) {
        if (const auto id = decode_partition_at(bytes, descriptor, end)) out.partitions.push_back({descriptor, *id});
        return;
    }
    if (depth >= max_nesting) return;
    const auto inner = find_inner_device(bytes, descriptor, end);
    if (!inner) return;
    const std::size_t inner_size = u32_at(bytes, *inner + size_field);
    if (inner_size < header_size || *inner + inner_size > end)
        truncated("the device at " + hex(*inner) + " declares " + std::to_string(inner_size) + " bytes, " +
                  std::to_string(end - *inner) + " remain");
    collect(bytes, *inner, *inner + inner_size, out, depth + 1);
}

void write_identity(std::uint8_t* descriptor, const PartitionIdentity& partition) {
    std::fill_n(descriptor + partition_id_field, 16, std::uint8_t{0});
    std::fill_n(descriptor + disk_id_field, 16, std::uint8_t{0});
    if (partition.style == disk::TableKind::dos) {
        store_le(descriptor + partition_id_field, partition.offset);
        store_le(descriptor + style_field, style_mbr);
        store_le(descriptor + disk_id_field, partition.disk_signature);
    } else {
        std::copy(partition.partition_guid.begin(), partition.partition_guid.end(), descriptor + partition_id_field);
        store_le(descriptor + style_field, style_gpt);
        std::copy(partition.disk_guid.begin(), partition.disk_guid.end(), descriptor + disk_id_field);
    }
}

// Element keys are named by 8 hex digits; anything else is not an element bcdedit wrote.
std::optional<std::uint32_t> element_id_of(const std::string& name) {
    if (name.size() != 8 || name.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) return std::nullopt;
    return static_cast<std::uint32_t>(std::stoul(name, nullptr, 16));
}

BcdDeviceEntry read_device(const registry::Hive& bcd, registry::KeyId element, const std::string& key, std::uint32_t id) {
    const std::string where = bcd.name() + " " + key;
    const auto value = bcd.value(element, "Element");
    if (!value) throw Error(ErrorKind::failed, where + " has no Element value");
    if (value->type != registry::ValueType::binary)
        throw Error(ErrorKind::failed, where + " is " + registry::type_name(value->type) + ", not the REG_BINARY of a device");
    try {
        return {key, id, value->data, parse_device_element(value->data)};
    } catch (const Error& e) {
        throw Error(e.kind(), where + ": " + e.what());
    }
}

}  // namespace

bool is_device_element(std::uint32_t element_id) { return ((element_id >> 24) & 0xF) == 1; }

std::string DeviceElement::describe() const {
    std::string text;
    for (const std::string& device : chain) text += (text.empty() ? "" : " holding a file on ") + device;
    for (const PartitionReference& ref : partitions) text += " (" + ref.partition.describe() + ")";
    return text;
}

DeviceElement parse_device_element(Bytes element) {
    if (element.size() < 0x10 + header_size)
        truncated(std::to_string(element.size()) + " bytes, fewer than the " + std::to_string(0x10 + header_size) +
                  " of an options GUID and a descriptor header");
    const std::size_t size = u32_at(element, 0x10 + size_field);
    if (size < header_size || 0x10 + size > element.size())
        truncated("its descriptor declares " + std::to_string(size) + " bytes from offset 0x10, the value holds " +
                  std::to_string(element.size()));
    DeviceElement out;
    std::copy_n(element.data(), 16, out.options.begin());
    out.type = u32_at(element, 0x10);
    collect(element, 0x10, 0x10 + size, out, 0);
    return out;
}

std::vector<std::uint8_t> encode_partition_element(const PartitionIdentity& partition, const GuidBytes& options) {
    std::vector<std::uint8_t> bytes(partition_element_size, 0);
    std::copy(options.begin(), options.end(), bytes.begin());
    std::uint8_t* descriptor = bytes.data() + 0x10;
    store_le(descriptor, static_cast<std::uint32_t>(DeviceType::partition));
    store_le(descriptor + size_field, static_cast<std::uint32_t>(partition_descriptor_size));
    write_identity(descriptor, partition);
    return bytes;
}

std::vector<std::uint8_t> rewrite_partition(Bytes element, std::size_t offset, const PartitionIdentity& partition) {
    const auto current = decode_partition_at(element, offset, element.size());
    if (!current) throw Error(ErrorKind::failed, "no partition descriptor at offset " + hex(offset) + " of the BCD device element");
    if (current->style != partition.style)
        throw Error(ErrorKind::failed, "the BCD partition descriptor at " + hex(offset) + " names " + current->describe() +
                                           "; it cannot be changed to " + partition.describe());
    std::vector<std::uint8_t> out(element.begin(), element.end());
    write_identity(out.data() + offset, partition);
    return out;
}

std::vector<BcdDeviceEntry> list_bcd_devices(const registry::Hive& bcd) {
    const auto objects = bcd.find("Objects");
    if (!objects) throw Error(ErrorKind::failed, bcd.name() + " is not a BCD store: it has no Objects key");
    std::vector<BcdDeviceEntry> out;
    for (const registry::KeyId object : bcd.children(*objects)) {
        const auto elements = bcd.child(object, "Elements");
        if (!elements) continue;
        for (const registry::KeyId element : bcd.children(*elements)) {
            const auto id = element_id_of(bcd.key_name(element));
            if (!id || !is_device_element(*id)) continue;
            const std::string key = "Objects\\" + bcd.key_name(object) + "\\Elements\\" + bcd.key_name(element);
            out.push_back(read_device(bcd, element, key, *id));
        }
    }
    return out;
}

std::vector<RegistryEdit> plan_bcd_devices(const registry::Hive& bcd, const DiskMove& move) {
    std::vector<RegistryEdit> edits;
    for (const BcdDeviceEntry& entry : list_bcd_devices(bcd)) {
        std::vector<std::uint8_t> bytes = entry.bytes;
        std::string why;
        for (const PartitionReference& ref : entry.device.partitions) {
            const PartitionMove* found = move.find(ref.partition);
            if (!found || !found->changes()) continue;
            bytes = rewrite_partition(bytes, ref.offset, found->after);
            why += (why.empty() ? "" : "; ") + std::string("partition ") + std::to_string(found->number) +
                   " on the new disk (was " + found->before.describe() + ")";
        }
        if (!why.empty()) edits.push_back(RegistryEdit::set(entry.key, "Element", RegistryValue::binary(std::move(bytes)), why));
    }
    return edits;
}

}  // namespace dagda::windows::boot
