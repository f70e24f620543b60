#include "app/ConsoleDisks.hpp"

#include "core/Error.hpp"
#include "core/Units.hpp"
#include "disk/DiskReport.hpp"
#include "disk/Safety.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace dagda::app {

namespace fs = std::filesystem;

namespace {

/// mountinfo writes a space in a path as \040 (and tab, newline, backslash likewise).
std::string unescape_mount_path(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool octal = text[i] == '\\' && i + 3 < text.size() && text.substr(i + 1, 3).find_first_not_of("01234567") == std::string::npos;
        if (octal) {
            out += static_cast<char>(std::stoi(text.substr(i + 1, 3), nullptr, 8));
            i += 3;
        } else {
            out += text[i];
        }
    }
    return out;
}

/// The whole disk a block device number belongs to ("sdb" for 8:17), or "" when sysfs does not know it.
std::string disk_of(const std::string& major_minor, const disk::SystemRoots& roots) {
    std::error_code error;
    const fs::path device = fs::canonical(roots.sys / "dev" / "block" / major_minor, error);
    if (error) return "";
    if (fs::exists(device / "partition", error)) return device.parent_path().filename().string();
    return device.filename().string();
}

}  // namespace

std::vector<std::string> mount_points_on(const disk::TargetInfo& target, const disk::SystemRoots& roots) {
    std::vector<std::string> found;
    if (!target.is_block_device || target.kernel_name.empty()) return found;
    std::ifstream mountinfo(roots.proc / "self" / "mountinfo");
    std::string line;
    while (std::getline(mountinfo, line)) {
        std::istringstream fields(line);
        std::string id, parent, major_minor, root, mount_point;
        fields >> id >> parent >> major_minor >> root >> mount_point;
        if (major_minor.rfind("0:", 0) == 0) continue;  // proc, tmpfs and the like: no block device
        if (disk_of(major_minor, roots) == target.kernel_name) found.push_back(unescape_mount_path(mount_point));
    }
    return found;
}

std::string disk_line(const disk::TargetInfo& target) {
    std::string line = target.path + "  " + human_bytes(target.size_bytes);
    if (target.model) line += "  " + *target.model;
    if (target.serial) line += "  serial " + *target.serial;
    return line;
}

std::vector<DiskChoice> target_choices(const disk::SystemRoots& roots) {
    std::vector<DiskChoice> choices;
    for (const std::string& path : disk::list_disks(roots)) {
        DiskChoice choice;
        try {
            choice.target = disk::probe_target(path, roots);
        } catch (const Error&) {
            continue;  // a disk that cannot be read cannot be a target either
        }
        const auto mounted = mount_points_on(choice.target, roots);
        if (!mounted.empty()) {
            choice.held_back = "mounted on " + mounted.front() + (mounted.size() > 1 ? " and elsewhere" : "");
        } else {
            try {
                if (disk::holds_boot_medium(choice.target)) choice.held_back = "the Dagda boot medium";
            } catch (const Error&) {
                choice.held_back = "cannot be read";
            }
        }
        if (choice.target.read_only && choice.held_back.empty()) choice.held_back = "read-only";
        choices.push_back(std::move(choice));
    }
    return choices;
}

}  // namespace dagda::app
