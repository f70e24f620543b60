#include "steps/PlanDisks.hpp"

#include "core/Error.hpp"
#include "disk/DiskReport.hpp"

#include <algorithm>
#include <filesystem>

namespace dagda::steps {

namespace {

struct Identity {
    std::optional<std::string> serial, wwn, by_path, path;
    std::optional<std::uint64_t> size;
};

Identity read_identity(const std::string& name, const nlohmann::json& json, std::vector<std::string>& problems) {
    Identity id;
    for (const auto& [key, value] : json.items()) {
        if (key == "size") {
            if (value.is_number_unsigned()) id.size = value.get<std::uint64_t>();
            else problems.push_back("disk \"" + name + "\": \"size\" must be a number of bytes");
        } else if (key == "serial" || key == "wwn" || key == "by_path" || key == "path") {
            if (!value.is_string() || value.get<std::string>().empty()) {
                problems.push_back("disk \"" + name + "\": \"" + key + "\" must be a non-empty string");
                continue;
            }
            (key == "serial" ? id.serial : key == "wwn" ? id.wwn : key == "by_path" ? id.by_path : id.path) = value.get<std::string>();
        } else if (key != "model" && key != "comment") {
            problems.push_back("disk \"" + name + "\": unknown key \"" + key + "\"");
        }
    }
    return id;
}

bool matches(const disk::TargetInfo& target, const Identity& id) {
    if (id.serial && target.serial != id.serial) return false;
    if (id.wwn && target.wwn != id.wwn) return false;
    if (id.size && target.size_bytes != *id.size) return false;
    if (id.by_path) {
        const std::string wanted = id.by_path->rfind("/dev/disk/by-path/", 0) == 0 ? id.by_path->substr(18) : *id.by_path;
        if (std::find(target.by_path.begin(), target.by_path.end(), wanted) == target.by_path.end()) return false;
    }
    return true;
}

std::string describe_identity(const Identity& id) {
    std::string out;
    const auto add = [&](const std::string& key, const std::optional<std::string>& value) {
        if (value) out += (out.empty() ? "" : ", ") + key + " " + *value;
    };
    add("serial", id.serial);
    add("WWN", id.wwn);
    add("by-path", id.by_path);
    add("path", id.path);
    if (id.size) out += (out.empty() ? "" : ", ") + std::string("size ") + std::to_string(*id.size);
    return out;
}

}  // namespace

PlanDisks::PlanDisks(const nlohmann::json& disks, std::vector<std::string>& problems, const disk::SystemRoots& roots) {
    for (const auto& [name, json] : disks.items()) {
        if (!json.is_object()) continue;  // parse_plan reported it
        const Identity id = read_identity(name, json, problems);
        PlanDisk disk{name, {}, {id.size, id.serial, id.wwn, false}};
        try {
            if (id.path) {
                disk.target = disk::probe_target(*id.path, roots);
                if (disk.target.is_block_device && !id.serial && !id.wwn && !id.by_path) {
                    problems.push_back("disk \"" + name + "\": a device is named by serial, WWN or by-path, never by its /dev name alone");
                    continue;
                }
                disk.expected.yes = !disk.target.is_block_device;  // an image file named by path
                if (!matches(disk.target, id)) {
                    problems.push_back("disk \"" + name + "\": " + disk::describe(disk.target) + " does not match " + describe_identity(id));
                    continue;
                }
            } else {
                if (!id.serial && !id.wwn && !id.by_path) {
                    problems.push_back("disk \"" + name + "\": give a serial, a WWN or a by-path name");
                    continue;
                }
                std::vector<disk::TargetInfo> found;
                std::string unreadable;
                for (const std::string& path : disk::list_disks(roots)) {
                    try {
                        disk::TargetInfo target = disk::probe_target(path, roots);
                        if (matches(target, id)) found.push_back(std::move(target));
                    } catch (const Error& error) {
                        unreadable += (unreadable.empty() ? "" : "; ") + std::string(error.what());
                    }
                }
                if (found.size() != 1) {
                    problems.push_back("disk \"" + name + "\": " + (found.empty() ? "no disk of this machine has " : "several disks have ") +
                                       describe_identity(id) + (unreadable.empty() ? "" : " (could not read: " + unreadable + ")"));
                    continue;
                }
                disk.target = std::move(found.front());
                // Named by by-path alone: its size, as found now, is asserted at every write too.
                if (!disk.expected.size_bytes && !disk.expected.serial && !disk.expected.wwn) disk.expected.size_bytes = disk.target.size_bytes;
            }
        } catch (const Error& error) {
            problems.push_back("disk \"" + name + "\": " + error.what());
            continue;
        }
        disks_.emplace(name, std::move(disk));
    }
}

const PlanDisk& PlanDisks::get(const std::string& name) const {
    const auto it = disks_.find(name);
    if (it == disks_.end()) throw Error(ErrorKind::usage, "the plan has no disk \"" + name + "\" (or it could not be found)");
    return it->second;
}

nlohmann::json identity_of(const disk::TargetInfo& target) {
    nlohmann::json id = nlohmann::json::object();
    if (!target.is_block_device) id["path"] = std::filesystem::absolute(target.path).lexically_normal().string();
    if (target.serial) id["serial"] = *target.serial;
    if (target.wwn) id["wwn"] = *target.wwn;
    if (!target.by_path.empty()) id["by_path"] = target.by_path.front();
    if (target.model) id["model"] = *target.model;
    id["size"] = target.size_bytes;
    return id;
}

}  // namespace dagda::steps
