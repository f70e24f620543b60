#include "windows/boot/DiskMove.hpp"

#include "core/Error.hpp"
#include "disk/OnDiskTable.hpp"

#include <algorithm>
#include <cstdio>

namespace dagda::windows::boot {

namespace {

using disk::Layout;
using disk::PartitionSpec;
using disk::TableKind;

[[noreturn]] void unpaired(const std::string& why) {
    throw Error(ErrorKind::failed, "the old and new disk layouts do not pair: " + why);
}

std::string side_name(bool old_side) { return old_side ? "old" : "new"; }

// The layout's id is sfdisk's "0x7ef7f55d" text; it was checked when the layout was parsed, but a
// Layout can also be built in code, so a bad one gets a clear message rather than std::stoul's.
std::uint32_t mbr_signature(const Layout& layout, bool old_side) {
    const std::string digits = layout.id.rfind("0x", 0) == 0 ? layout.id.substr(2) : layout.id;
    if (digits.empty() || digits.size() > 8 || digits.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
        unpaired("the " + side_name(old_side) + " disk's MBR signature is not a 32-bit hex number: \"" + layout.id + "\"");
    return static_cast<std::uint32_t>(std::stoul(digits, nullptr, 16));
}

GuidBytes gpt_guid(const std::string& text, const std::string& what) {
    try {
        return disk::guid_bytes(text);
    } catch (const Error&) {
        unpaired(what + " is not a GUID: \"" + text + "\"");
    }
}

PartitionIdentity identity_of(const Layout& layout, const PartitionSpec& part, bool old_side) {
    PartitionIdentity id;
    id.style = layout.label;
    if (layout.label == TableKind::dos) {
        id.disk_signature = mbr_signature(layout, old_side);
        id.offset = part.start * layout.sector_size;
        return id;
    }
    const std::string where = "partition " + std::to_string(part.number) + " of the " + side_name(old_side) + " disk";
    if (!part.uuid) unpaired(where + " has no partition GUID");
    id.partition_guid = gpt_guid(*part.uuid, "the GUID of " + where);
    id.disk_guid = gpt_guid(layout.id, "the " + side_name(old_side) + " disk GUID");
    return id;
}

std::string numbers_of(const Layout& layout) {
    std::string out;
    for (const PartitionSpec& part : layout.partitions) out += (out.empty() ? "" : ", ") + std::to_string(part.number);
    return out.empty() ? "none" : out;
}

void check_pairing(const Layout& before, const Layout& after) {
    if (before.label != after.label)
        throw Error(ErrorKind::failed, std::string("the old disk is ") + (before.label == TableKind::dos ? "MBR" : "GPT") +
                                           " and the new one " + (after.label == TableKind::dos ? "MBR" : "GPT") +
                                           "; converting the boot style is not supported yet (it needs more than "
                                           "renamed partitions: an ESP or an active partition, other boot files)");
    if (before.partitions.size() != after.partitions.size())
        unpaired("the old disk has " + std::to_string(before.partitions.size()) + " partitions (" + numbers_of(before) +
                 "), the new one " + std::to_string(after.partitions.size()) + " (" + numbers_of(after) + ")");
    if (after.label == TableKind::dos && mbr_signature(after, false) == 0)
        unpaired("the new disk's MBR signature is 0, which Windows replaces at boot; give the new disk a signature");
}

}  // namespace

std::string guid_text(const GuidBytes& guid) { return "{" + disk::guid_string(guid.data()) + "}"; }

std::string PartitionIdentity::describe() const {
    if (style == TableKind::gpt) return "GPT partition " + guid_text(partition_guid) + " on disk " + guid_text(disk_guid);
    char signature[16];
    std::snprintf(signature, sizeof signature, "0x%08x", disk_signature);
    return std::string("MBR disk ") + signature + ", byte offset " + std::to_string(offset);
}

DiskMove DiskMove::between(const Layout& before, const Layout& after) {
    check_pairing(before, after);
    std::vector<PartitionMove> moves;
    for (const PartitionSpec& old_part : before.partitions) {
        const auto paired = std::find_if(after.partitions.begin(), after.partitions.end(),
                                         [&](const PartitionSpec& part) { return part.number == old_part.number; });
        if (paired == after.partitions.end())
            unpaired("partition " + std::to_string(old_part.number) + " of the old disk has no partition " +
                     std::to_string(old_part.number) + " on the new one (new partitions: " + numbers_of(after) + ")");
        moves.push_back({old_part.number, identity_of(before, old_part, true), identity_of(after, *paired, false)});
    }
    return DiskMove(std::move(moves));
}

const PartitionMove* DiskMove::find(const PartitionIdentity& identity) const {
    for (const PartitionMove& move : moves_)
        if (move.before == identity) return &move;
    return nullptr;
}

const PartitionMove* DiskMove::find_gpt_partition(const GuidBytes& guid) const {
    for (const PartitionMove& move : moves_)
        if (move.before.style == TableKind::gpt && move.before.partition_guid == guid) return &move;
    return nullptr;
}

bool DiskMove::changes_anything() const {
    return std::any_of(moves_.begin(), moves_.end(), [](const PartitionMove& move) { return move.changes(); });
}

}  // namespace dagda::windows::boot
