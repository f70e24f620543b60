#include "disk/Plan.hpp"

#include "core/Error.hpp"
#include "core/UniqueFd.hpp"
#include "core/Units.hpp"
#include "disk/Fit.hpp"
#include "disk/GptAttributes.hpp"
#include "disk/LayoutCheck.hpp"
#include "disk/OnDiskTable.hpp"
#include "disk/PartitionTypes.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <sstream>

namespace dagda::disk {

namespace {

template <typename Random>
std::string random_guid(Random& random) {
    std::array<std::uint8_t, 16> bytes{};
    for (auto& byte : bytes) byte = static_cast<std::uint8_t>(random());
    bytes[7] = static_cast<std::uint8_t>((bytes[7] & 0x0F) | 0x40);  // version 4 (GPT byte order)
    bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
    return guid_string(bytes.data());
}

template <typename Random>
void settle_identities(Layout& layout, Random& random) {
    if (layout.id.empty() && layout.label == TableKind::dos) {
        std::uint32_t signature = 0;
        while (signature == 0) signature = static_cast<std::uint32_t>(random());
        char text[16];
        std::snprintf(text, sizeof text, "0x%08x", signature);
        layout.id = text;
    } else if (layout.id.empty()) {
        layout.id = random_guid(random);
    }
    if (layout.label != TableKind::gpt) return;
    for (auto& part : layout.partitions)
        if (!part.uuid) part.uuid = random_guid(random);
}

std::vector<std::uint8_t> generic_boot_code() {
    const UniqueFd fd = UniqueFd::open(DAGDA_GENERIC_MBR, O_RDONLY);
    std::vector<std::uint8_t> code(mbr_boot_code_size);
    read_exact(fd.get(), code.data(), code.size(), 0, DAGDA_GENERIC_MBR);
    return code;
}

std::string partition_object(const Layout& layout, const PartitionSpec& part) {
    const bool logical = layout.label == TableKind::dos && part.number >= first_logical_number;
    const std::string kind = is_extended(layout.label, part.type) ? "extended " : logical ? "logical " : "";
    std::string text = kind + "partition " + std::to_string(part.number) + " at sector " + std::to_string(part.start) + ", " +
                       std::to_string(part.size) + " sectors (" + human_bytes(part.size * layout.sector_size) +
                       "), type " + type_text(layout.label, part.type);
    if (part.bootable) text += ", bootable";
    if (part.name && !part.name->empty()) text += ", name \"" + *part.name + "\"";
    if (part.uuid) text += ", GUID " + *part.uuid;
    if (part.attrs) text += ", attributes " + format_gpt_attributes(part.attrs);
    return text;
}

std::vector<Action> make_actions(const Plan& plan) {
    const Layout& layout = plan.layout;
    std::vector<Action> actions;
    std::string table = std::string(to_string(layout.label)) + " partition table on " + describe(plan.target);
    if (layout.label == TableKind::dos) {
        table += ", disk signature " + layout.id;
    } else {
        const auto [first, last] = usable_range(layout, {plan.target.sectors(), plan.target.logical_sector_size});
        table += ", disk GUID " + layout.id + ", usable sectors " + std::to_string(first) + "-" + std::to_string(last);
    }
    actions.push_back({ActionKind::create_table, std::nullopt, "Create", table});
    for (const auto& part : layout.partitions)
        actions.push_back({ActionKind::create_partition, part, "Create", partition_object(layout, part)});
    actions.push_back({ActionKind::write_table, std::nullopt, "Write", "the partition table to " + plan.target.path});
    actions.push_back({ActionKind::write_boot_code, std::nullopt, "Write",
                       "MBR boot code: 440 bytes from " + plan.boot_code_source});
    if (!plan.first_track.empty()) {
        const auto [gap_start, gap_end] = first_track_gap(layout, plan.first_track.size());
        const unsigned ss = layout.sector_size;
        std::string what = "sector 0 bytes 444-445";
        if (gap_end > gap_start)
            what += " and sectors " + std::to_string(gap_start / ss) + "-" + std::to_string(gap_end / ss - 1) +
                    " (the boot-loader gap before the first partition)";
        actions.push_back({ActionKind::write_first_track, std::nullopt, "Write", what + " from the source's first track"});
    }
    actions.push_back({ActionKind::verify, std::nullopt, "Verify",
                       "the table on " + plan.target.path + " by reading it back"});
    return actions;
}

}  // namespace

std::string Action::doing_text() const {
    const std::string ing = verb == "Create" ? "Creating" : verb == "Write" ? "Writing" : verb == "Verify" ? "Verifying" : verb + "ing";
    return ing + " " + object + "...";
}

Plan build_plan(const Layout& requested, const TargetInfo& target, const PlanOptions& options) {
    const TargetGeometry geometry{target.sectors(), target.logical_sector_size};
    Plan plan;
    plan.target = target;
    plan.layout = retarget(requested, target.path);
    if (options.fit) plan.layout = fit_layout(plan.layout, geometry, options.grow, options.source_sectors);
    require_valid_layout(plan.layout, geometry);
    if (options.id_seed.empty()) {
        std::random_device random;
        settle_identities(plan.layout, random);
    } else {
        // std::seed_seq and mt19937 are specified to the bit: the same seed gives the same ids
        // in every process, so a dry run prints what the real run writes.
        std::seed_seq seed(options.id_seed.begin(), options.id_seed.end());
        std::mt19937 random(seed);
        settle_identities(plan.layout, random);
    }
    if (plan.layout.boot_code) {
        plan.boot_code = *plan.layout.boot_code;
        plan.boot_code_source = "the layout";
    } else if (plan.layout.label == TableKind::dos) {
        plan.boot_code = generic_boot_code();
        plan.boot_code_source = "syslinux mbr.bin (generic: starts the active partition)";
    } else {
        plan.boot_code.assign(mbr_boot_code_size, 0);
        plan.boot_code_source = "zeros (a GPT disk boots through UEFI)";
    }
    plan.layout.boot_code = plan.boot_code;
    if (!options.first_track.empty() && options.first_track.size() < 512)
        throw Error(ErrorKind::failed, "the source's first track is " + std::to_string(options.first_track.size()) +
                                           " bytes: it must hold sector 0 at least");
    plan.first_track = options.first_track;
    plan.actions = make_actions(plan);
    return plan;
}

std::pair<std::uint64_t, std::uint64_t> first_track_gap(const Layout& layout, std::uint64_t track_bytes) {
    const unsigned ss = layout.sector_size;
    const std::uint64_t start = layout.label == TableKind::dos ? ss : default_gpt_first_lba(ss) * ss;
    std::uint64_t first = layout.partitions.empty() ? 0 : layout.partitions.front().start;
    for (const auto& part : layout.partitions) first = std::min(first, part.start);
    const std::uint64_t end = std::min<std::uint64_t>(track_bytes, first * ss);
    return end > start ? std::pair{start, end} : std::pair{start, start};
}

std::string plan_text(const Plan& plan) {
    std::ostringstream out;
    for (std::size_t i = 0; i < plan.actions.size(); ++i) out << (i + 1) << ". " << plan.actions[i].plan_text() << "\n";
    return out.str();
}

}  // namespace dagda::disk
