#include "windows/system/WindowsInstall.hpp"

#include "core/Error.hpp"
#include "windows/ntfs/NtfsEditor.hpp"
#include "windows/system/OfflineHive.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

namespace dagda::windows::system {

namespace {

using registry::Hive;

std::string text_value(const Hive& hive, const std::string& key, const std::string& name) {
    const auto k = hive.find(key);
    if (!k) return {};
    const auto value = hive.value(*k, name);
    return value && value->text() ? *value->text() : std::string();
}

std::optional<std::uint32_t> number_value(const Hive& hive, const std::string& key, const std::string& name) {
    const auto k = hive.find(key);
    if (!k) return std::nullopt;
    const auto value = hive.value(*k, name);
    return value ? value->number() : std::nullopt;
}

unsigned parse_unsigned(const std::string& text) {
    unsigned value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') break;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    return value;
}

std::string architecture_of(const std::string& processor_architecture) {
    std::string upper = processor_architecture;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (upper == "AMD64") return "amd64";
    if (upper == "X86") return "x86";
    if (upper == "ARM64") return "arm64";
    if (upper == "IA64") return "ia64";
    return {};
}

void read_version(const Hive& software, WindowsInstall& install) {
    const std::string key = "Microsoft\\Windows NT\\CurrentVersion";
    if (!software.find(key)) throw Error(ErrorKind::failed, software.name() + " has no " + key + " key: it is not a Windows SOFTWARE hive");
    install.product_name = text_value(software, key, "ProductName");
    install.edition_id = text_value(software, key, "EditionID");
    install.installation_type = text_value(software, key, "InstallationType");
    install.build = parse_unsigned(text_value(software, key, "CurrentBuildNumber"));
    // Windows 10 and later keep "6.3" in CurrentVersion for old programs; the DWORDs are the truth.
    const auto major = number_value(software, key, "CurrentMajorVersionNumber");
    const auto minor = number_value(software, key, "CurrentMinorVersionNumber");
    if (major) {
        install.major = *major;
        install.minor = minor.value_or(0);
    } else {
        const std::string version = text_value(software, key, "CurrentVersion");
        const std::size_t dot = version.find('.');
        if (version.empty() || dot == std::string::npos)
            throw Error(ErrorKind::failed, software.name() + ": CurrentVersion \"" + version + "\" is not a Windows version");
        install.major = parse_unsigned(version.substr(0, dot));
        install.minor = parse_unsigned(version.substr(dot + 1));
    }
}

void read_system(const Hive& system, WindowsInstall& install) {
    const auto select = system.find("Select");
    if (!select) throw Error(ErrorKind::failed, system.name() + " has no Select key: it is not a Windows SYSTEM hive");
    for (const char* name : {"Current", "Default", "LastKnownGood"}) {
        const auto value = system.value(*select, name);
        if (!value || !value->number() || *value->number() == 0) continue;
        const unsigned set = *value->number();
        if (std::string(name) == "Current") install.current_control_set = set;
        if (!system.find(WindowsInstall::control_set_key(set))) continue;  // LastKnownGood may point at a removed set
        if (std::find(install.control_sets.begin(), install.control_sets.end(), set) == install.control_sets.end())
            install.control_sets.push_back(set);
    }
    if (install.current_control_set == 0 || !system.find(WindowsInstall::control_set_key(install.current_control_set)))
        throw Error(ErrorKind::failed, system.name() + ": Select\\Current does not name an existing control set");
    const std::string current = WindowsInstall::control_set_key(install.current_control_set);
    install.architecture = architecture_of(text_value(system, current + "\\Control\\Session Manager\\Environment", "PROCESSOR_ARCHITECTURE"));
    install.driver_database = system.find("DriverDatabase").has_value();
    install.critical_device_database = system.find(current + "\\Control\\CriticalDeviceDatabase").has_value();
    if (install.architecture.empty() && install.driver_database) {
        // DriverDatabase\Architecture: 9 is PROCESSOR_ARCHITECTURE_AMD64, 0 INTEL, 12 ARM64.
        const auto code = number_value(system, "DriverDatabase", "Architecture");
        install.architecture = !code ? "" : *code == 9 ? "amd64" : *code == 0 ? "x86" : *code == 12 ? "arm64" : "";
    }
    if (install.architecture.empty())
        throw Error(ErrorKind::failed, system.name() + ": cannot tell the architecture (no PROCESSOR_ARCHITECTURE in " + current +
                                           "\\Control\\Session Manager\\Environment)");
}

}  // namespace

std::string WindowsInstall::control_set_key(unsigned number) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "ControlSet%03u", number);
    return buffer;
}

std::string WindowsInstall::describe() const {
    return (product_name.empty() ? "Windows" : product_name) + " (" + std::to_string(major) + "." + std::to_string(minor) +
           " build " + std::to_string(build) + ", " + architecture + ")";
}

nlohmann::json WindowsInstall::to_json() const {
    return {{"system_root", system_root},
            {"product_name", product_name},
            {"edition_id", edition_id},
            {"installation_type", installation_type},
            {"version", {{"major", major}, {"minor", minor}, {"build", build}}},
            {"architecture", architecture},
            {"current_control_set", current_control_set},
            {"control_sets", control_sets},
            {"driver_database", driver_database},
            {"critical_device_database", critical_device_database},
            {"warnings", warnings}};
}

std::string find_system_root(const ntfs::NtfsVolume& volume) {
    for (const char* candidate : {"/Windows", "/WINNT", "/win32", "/win"}) {
        const std::string hive = std::string(candidate) + "/System32/config/SYSTEM";
        if (ntfs::file_size(volume, hive)) return *ntfs::find_path(volume, candidate);
    }
    throw Error(ErrorKind::failed, volume.name() + ": no Windows on this volume (no \\Windows\\System32\\config\\SYSTEM, nor in "
                                                   "\\WINNT, \\win32 or \\win)");
}

WindowsInstall inspect_windows(const ntfs::NtfsVolume& volume) {
    WindowsInstall install;
    install.system_root = find_system_root(volume);
    const std::string config = install.system_root + "/System32/config/";
    const OfflineHive software(volume, config + "SOFTWARE", "SOFTWARE", false);
    const OfflineHive system(volume, config + "SYSTEM", "SYSTEM", false);
    for (const OfflineHive* hive : {&software, &system})
        if (!hive->warning().empty()) install.warnings.push_back(hive->warning());
    read_version(software.hive(), install);
    read_system(system.hive(), install);
    return install;
}

}  // namespace dagda::windows::system
