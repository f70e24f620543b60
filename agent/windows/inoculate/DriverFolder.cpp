#include "windows/inoculate/DriverFolder.hpp"

#include "core/Bytes.hpp"
#include "core/Error.hpp"
#include "windows/inf/TargetPlatform.hpp"

#include <algorithm>
#include <filesystem>
#include <strings.h>

namespace dagda::windows::inoculate {

namespace fs = std::filesystem;

namespace {

bool has_inf_extension(const fs::path& path) {
    const std::string ext = path.extension().string();
    return strcasecmp(ext.c_str(), ".inf") == 0 || strcasecmp(ext.c_str(), ".inx") == 0;
}

}  // namespace

bool offers_target(const inf::InfFile& file, const inf::TargetWindows& target) {
    const inf::InfFile stamped = inf::stamp_template(file, target);
    const inf::InfSection* manufacturer = stamped.find("Manufacturer");
    if (!manufacturer) return false;
    for (const inf::InfLine& line : manufacturer->lines) {
        // `%Mfg% = Models, NTamd64, NTamd64.10.0...16299`: the undecorated section counts as ""
        // (only where the platform allows it; best_decoration decides).
        std::vector<std::string> decorations{""};
        for (std::size_t i = 1; i < line.fields.size(); ++i) decorations.push_back(line.fields[i]);
        if (inf::best_decoration(decorations, target)) return true;
    }
    return false;
}

FolderScan scan_driver_folder(const std::string& folder, const inf::TargetWindows& target) {
    if (!fs::is_directory(folder)) throw Error(ErrorKind::usage, "--drivers " + folder + " is not a folder");
    std::vector<fs::path> infs;
    for (const auto& entry : fs::recursive_directory_iterator(folder, fs::directory_options::skip_permission_denied))
        if (entry.is_regular_file() && has_inf_extension(entry.path())) infs.push_back(entry.path());
    std::sort(infs.begin(), infs.end());
    FolderScan scan;
    for (const fs::path& path : infs) {
        const inf::InfFile file = inf::load_inf(path.string());
        if (!offers_target(file, target)) {
            scan.not_fitting.push_back(path.string() + ": made for other Windows versions or architectures than " + inf::describe(target));
            continue;
        }
        scan.packages.push_back({path.string(), path.parent_path().string(), inf::driver_package(file, target)});
    }
    return scan;
}

std::string find_package_file(const std::string& folder, const std::string& relative) {
    fs::path current = folder;
    std::string part;
    std::vector<std::string> parts;
    for (const char c : relative + "/") {
        if (c == '/' || c == '\\') {
            if (!part.empty() && part != ".") parts.push_back(part);
            part.clear();
        } else {
            part += c;
        }
    }
    for (const std::string& name : parts) {
        if (name == "..") return {};
        if (fs::exists(current / name)) {
            current /= name;
            continue;
        }
        std::error_code error;
        bool found = false;
        for (const auto& entry : fs::directory_iterator(current, error)) {
            if (strcasecmp(entry.path().filename().c_str(), name.c_str()) == 0) {
                current = entry.path();
                found = true;
                break;
            }
        }
        if (!found) return {};
    }
    return fs::is_regular_file(current) ? current.string() : std::string();
}

std::string pe_architecture(const std::vector<std::uint8_t>& image) {
    if (image.size() < 0x40 || image[0] != 'M' || image[1] != 'Z') return {};
    const std::uint32_t pe = load_le<std::uint32_t>(image.data() + 0x3C);
    if (pe > image.size() - 6 || image[pe] != 'P' || image[pe + 1] != 'E' || image[pe + 2] || image[pe + 3]) return {};
    switch (load_le<std::uint16_t>(image.data() + pe + 4)) {
        case 0x8664: return "amd64";
        case 0x014c: return "x86";
        case 0xAA64: return "arm64";
        default: return "unknown";
    }
}

}  // namespace dagda::windows::inoculate
