#include "disk/DiskReport.hpp"

#include "core/Error.hpp"
#include "core/Sysfs.hpp"
#include "core/UniqueFd.hpp"
#include "core/Units.hpp"
#include "disk/GptAttributes.hpp"
#include "disk/LayoutReader.hpp"
#include "disk/PartitionTypes.hpp"
#include "disk/Safety.hpp"
#include "disk/sys/BlkidProbe.hpp"

#include <fcntl.h>

#include <algorithm>
#include <sstream>

namespace dagda::disk {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

template <typename T>
json or_null(const std::optional<T>& value) {
    return value ? json(*value) : json(nullptr);
}

json partition_report(const PartitionSpec& part, const Layout& layout, int fd, std::uint64_t disk_bytes) {
    json out{{"number", part.number},
             {"node", partition_node(layout.device, part.number)},
             {"start", part.start},
             {"size", part.size},
             {"size_bytes", part.size * layout.sector_size},
             {"type", part.type},
             {"type_name", type_text(layout.label, part.type)}};
    if (layout.label == TableKind::dos) {
        out["flags"] = part.bootable ? json::array({"bootable"}) : json::array();
    } else {
        out["name"] = part.name.value_or("");
        out["uuid"] = or_null(part.uuid);
        out["attrs"] = format_gpt_attributes(part.attrs);
    }
    std::optional<sys::BlkidFilesystem> filesystem;
    const std::uint64_t offset = part.start * layout.sector_size;
    // An extended partition is a container (its first sector is a boot record); a partition that
    // starts past the end of a damaged disk has nothing to probe.
    if (!is_extended(layout.label, part.type) && offset < disk_bytes) {
        try {
            sys::BlkidProbe probe(fd, offset, std::min(part.size * layout.sector_size, disk_bytes - offset),
                                  partition_node(layout.device, part.number));
            filesystem = probe.filesystem();
        } catch (const Error&) {
            filesystem.reset();
        }
    }
    const auto text_or_null = [](const std::string& text) { return text.empty() ? json(nullptr) : json(text); };
    out["filesystem"] = filesystem ? json{{"type", filesystem->type},
                                          {"label", text_or_null(filesystem->label)},
                                          {"uuid", text_or_null(filesystem->uuid)}}
                                   : json(nullptr);
    return out;
}

}  // namespace

json disk_report(const std::string& path, const SystemRoots& roots) {
    const TargetInfo target = probe_target(path, roots);
    json out{{"path", target.path},
             {"kind", target.is_block_device ? "block" : "image"},
             {"size_bytes", target.size_bytes},
             {"logical_sector_size", target.logical_sector_size},
             {"physical_sector_size", target.physical_sector_size},
             {"model", or_null(target.model)},
             {"serial", or_null(target.serial)},
             {"wwn", or_null(target.wwn)},
             {"by_id", target.by_id},
             {"by_path", target.by_path},
             {"rotational", or_null(target.rotational)},
             {"removable", target.removable},
             {"read_only", target.read_only}};
    try {
        out["boot_medium"] = holds_boot_medium(target);
    } catch (const Error&) {
        out["boot_medium"] = nullptr;  // could not be read to tell; the commit checks again
    }
    std::optional<Layout> layout;
    try {
        layout = read_layout(target);
    } catch (const Error& e) {  // a table dagda cannot represent is reported, not fatal
        out["partition_table"] = nullptr;
        out["partition_table_error"] = e.what();
        return out;
    }
    if (!layout) {
        out["partition_table"] = nullptr;
        return out;
    }
    json table{{"type", to_string(layout->label)}, {"id", layout->id}, {"partitions", json::array()}};
    if (layout->label == TableKind::dos) table["disk_signature"] = layout->id;
    else table["disk_guid"] = layout->id;
    const UniqueFd fd = UniqueFd::open(path, O_RDONLY);
    for (const auto& part : layout->partitions) table["partitions"].push_back(partition_report(part, *layout, fd.get(), target.size_bytes));
    out["partition_table"] = std::move(table);
    return out;
}

std::vector<std::string> list_disks(const SystemRoots& roots) {
    std::vector<std::string> disks;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(roots.sys / "block", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("ram", 0) == 0 || name.rfind("zram", 0) == 0) continue;
        // Optical drives and floppies are never recovery targets (a live image's own CD is one).
        if (name.rfind("sr", 0) == 0 || name.rfind("fd", 0) == 0) continue;
        if (name.rfind("loop", 0) == 0 && sysfs::read_uint(entry.path() / "size").value_or(0) == 0) continue;
        disks.push_back((roots.dev / name).string());
    }
    std::sort(disks.begin(), disks.end());
    return disks;
}

std::string disk_report_text(const json& r) {
    std::ostringstream out;
    const auto text = [](const json& value) { return value.is_null() ? std::string("-") : value.get<std::string>(); };
    out << r["path"].get<std::string>() << "  " << human_bytes(r["size_bytes"].get<std::uint64_t>()) << " ("
        << r["size_bytes"].get<std::uint64_t>() << " bytes), sectors " << r["logical_sector_size"].get<unsigned>()
        << "/" << r["physical_sector_size"].get<unsigned>() << ", " << r["kind"].get<std::string>() << "\n";
    out << "  model " << text(r["model"]) << ", serial " << text(r["serial"]) << ", WWN " << text(r["wwn"]) << "\n";
    for (const auto& name : r["by_id"]) out << "  " << name.get<std::string>() << "\n";
    for (const auto& name : r["by_path"]) out << "  " << name.get<std::string>() << "\n";
    const json& table = r["partition_table"];
    if (table.is_null()) {
        out << "  " << (r.contains("partition_table_error") ? r["partition_table_error"].get<std::string>() : "no partition table") << "\n";
        return out.str();
    }
    out << "  " << table["type"].get<std::string>() << " table, id " << table["id"].get<std::string>() << "\n";
    for (const auto& p : table["partitions"]) {
        const json& fs = p["filesystem"];
        out << "  " << p["number"].get<unsigned>() << ": start " << p["start"].get<std::uint64_t>() << ", "
            << p["size"].get<std::uint64_t>() << " sectors (" << human_bytes(p["size_bytes"].get<std::uint64_t>())
            << "), " << p["type_name"].get<std::string>() << ", fs " << (fs.is_null() ? "-" : text(fs["type"]))
            << ", label " << (fs.is_null() ? "-" : text(fs["label"])) << "\n";
    }
    return out.str();
}

}  // namespace dagda::disk
