#include "windows/inoculate/BootBinding.hpp"

#include "core/Bytes.hpp"
#include "core/Error.hpp"
#include "disk/OnDiskTable.hpp"

#include <algorithm>

namespace dagda::windows::inoculate {

using registry::RegistryValue;

namespace {

/// Days from 1601-01-01 (the FILETIME epoch) to a civil date (proleptic Gregorian).
std::int64_t days_since_1601(unsigned year, unsigned month, unsigned day) {
    const auto days_from_civil = [](std::int64_t y, unsigned m, unsigned d) {
        y -= m <= 2;
        const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
        const auto yoe = static_cast<unsigned>(y - era * 400);
        const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
        const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + static_cast<std::int64_t>(doe);
    };
    return days_from_civil(year, month, day) - days_from_civil(1601, 1, 1);
}

std::string strip_braces(const std::string& guid) {
    if (guid.size() == 38 && guid.front() == '{' && guid.back() == '}') return guid.substr(1, 36);
    return guid;
}

RegistryValue image_path_value(const std::string& image_path) { return RegistryValue::expand_sz(image_path); }

std::string hkr_key(const std::string& base, const std::string& subkey) { return subkey.empty() ? base : base + "\\" + subkey; }

std::optional<RegistryValue> add_reg_value(const inf::RegEntry& entry) {
    if (entry.key_only) return std::nullopt;
    switch (entry.type) {
        case registry::ValueType::sz: return RegistryValue::sz(entry.strings.empty() ? "" : entry.strings.front());
        case registry::ValueType::expand_sz: return RegistryValue::expand_sz(entry.strings.empty() ? "" : entry.strings.front());
        case registry::ValueType::multi_sz: return RegistryValue::multi_sz(entry.strings);
        case registry::ValueType::dword: return RegistryValue::dword(entry.dword);
        default: return RegistryValue{entry.type, entry.bytes};
    }
}

}  // namespace

std::pair<std::string, std::string> split_enumerator(const std::string& id) {
    const std::size_t slash = id.find('\\');
    if (slash == std::string::npos || slash == 0 || slash + 1 == id.size() || id.find('\\', slash + 1) != std::string::npos)
        throw Error(ErrorKind::failed, "\"" + id + "\" is not a device ID of the form ENUMERATOR\\ID");
    return {id.substr(0, slash), id.substr(slash + 1)};
}

std::vector<RegistryEdit> boot_start_inbox_service(const registry::Hive& system, const std::string& control_set,
                                                   const std::string& service) {
    const std::string key = control_set + "\\Services\\" + service;
    if (!system.find(key))
        throw Error(ErrorKind::failed, "this Windows has no " + service + " service (" + key +
                                           "): the driver is not installed; supply it with --drivers DIR");
    return {RegistryEdit::set(key, "Start", RegistryValue::dword(0), "start " + service + " at boot"),
            RegistryEdit::remove_key(key + "\\StartOverride", "an override would keep " + service + " from starting at boot")};
}

std::vector<RegistryEdit> install_service(const std::string& control_set, const inf::ServiceInstall& service,
                                          const std::string& owner_inf) {
    if (service.name.find_first_of("\\/") != std::string::npos)
        throw Error(ErrorKind::failed, "service name \"" + service.name + "\" holds a path separator; refused");
    const std::string key = control_set + "\\Services\\" + service.name;
    const std::string why = "service " + service.name;
    std::vector<RegistryEdit> edits{
        RegistryEdit::set(key, "Type", RegistryValue::dword(service.service_type), why),
        RegistryEdit::set(key, "Start", RegistryValue::dword(0), why + " starts at boot"),
        RegistryEdit::set(key, "ErrorControl", RegistryValue::dword(service.error_control), why),
        RegistryEdit::set(key, "ImagePath", image_path_value(service.image_path), why),
        // A Windows that once ran on this hardware may hold an override that disables the driver
        // at boot (Windows 8+): 0x7B despite Start=0.
        RegistryEdit::remove_key(key + "\\StartOverride", "an override would keep " + service.name + " from starting at boot"),
    };
    if (!service.load_order_group.empty()) edits.push_back(RegistryEdit::set(key, "Group", RegistryValue::sz(service.load_order_group), why));
    if (!service.display_name.empty()) edits.push_back(RegistryEdit::set(key, "DisplayName", RegistryValue::sz(service.display_name), why));
    // Windows 8 and later read Owners; on older Windows it is dagda's own record of who installed
    // the file, which lets a later inoculation recognise the driver's own older copy (PackageFiles.hpp).
    edits.push_back(RegistryEdit::set(key, "Owners", RegistryValue::multi_sz({owner_inf}), why));
    for (const inf::RegEntry& entry : service.add_reg) {
        if (entry.root != inf::RegRoot::hkr) continue;  // only the service's own key is ours to write
        const std::string where = hkr_key(key, entry.subkey);
        const auto value = add_reg_value(entry);
        if (entry.flags & inf::addreg_flag::delval) edits.push_back(RegistryEdit::remove_value(where, entry.value_name, why + " (INF AddReg)"));
        else if (value) edits.push_back(RegistryEdit::set(where, entry.value_name, *value, why + " (INF AddReg)"));
    }
    return edits;
}

std::vector<RegistryEdit> bind_critical_device_database(const std::string& control_set, const std::vector<std::string>& ids,
                                                        const std::string& service, const std::string& class_guid) {
    std::vector<RegistryEdit> edits;
    for (const std::string& id : ids) {
        std::string name = id;
        std::replace(name.begin(), name.end(), '\\', '#');
        const std::string key = control_set + "\\Control\\CriticalDeviceDatabase\\" + name;
        edits.push_back(RegistryEdit::set(key, "Service", RegistryValue::sz(service), "bind " + id + " to " + service + " at boot"));
        edits.push_back(RegistryEdit::set(key, "ClassGUID", RegistryValue::sz(class_guid), "bind " + id + " to " + service + " at boot"));
    }
    return edits;
}

std::array<std::uint8_t, 48> driver_version_blob(const inf::InfVersion& version) {
    std::array<std::uint8_t, 48> blob{};
    blob[1] = 0xff;  // 00 ff 09 00: a package imported from outside the in-box set
    blob[2] = 0x09;
    if (!version.class_guid.empty()) {
        const auto guid = disk::guid_bytes(strip_braces(version.class_guid));
        std::copy(guid.begin(), guid.end(), blob.begin() + 8);
    }
    if (version.year) {
        const std::int64_t days = days_since_1601(version.year, version.month, version.day);
        store_le<std::uint64_t>(blob.data() + 24, static_cast<std::uint64_t>(days) * 86400ull * 10000000ull);
    }
    for (std::size_t i = 0; i < 4; ++i) store_le<std::uint16_t>(blob.data() + 32 + 2 * i, version.version[3 - i]);
    return blob;
}

std::vector<RegistryEdit> bind_driver_database(const inf::DriverPackage& package, const std::string& configuration,
                                               const std::string& service, const std::vector<RankedId>& ids) {
    const std::string& inf_name = package.inf_name;
    const std::string& label = package.store_folder;
    const std::string why = "bind " + inf_name + " (" + service + ") for boot";
    const std::string packages = "DriverDatabase\\DriverPackages\\" + label;
    const auto blob = driver_version_blob(package.version);
    std::vector<RegistryEdit> edits{
        RegistryEdit::set("DriverDatabase\\DriverInfFiles\\" + inf_name, "", RegistryValue::multi_sz({label}), why),
        RegistryEdit::set("DriverDatabase\\DriverInfFiles\\" + inf_name, "Active", RegistryValue::sz(label), why),
        RegistryEdit::set("DriverDatabase\\DriverInfFiles\\" + inf_name, "Configurations", RegistryValue::multi_sz({configuration}), why),
        RegistryEdit::set(packages, "Version", RegistryValue::binary({blob.begin(), blob.end()}), why),
        RegistryEdit::set(packages, "InfName", RegistryValue::sz(inf_name), why),
        RegistryEdit::set(packages + "\\Configurations\\" + configuration, "ConfigFlags", RegistryValue::dword(0), why),
        RegistryEdit::set(packages + "\\Configurations\\" + configuration, "Service", RegistryValue::sz(service), why),
    };
    if (!package.version.provider.empty()) edits.push_back(RegistryEdit::set(packages, "Provider", RegistryValue::sz(package.version.provider), why));
    if (!package.version.class_guid.empty())
        edits.push_back(RegistryEdit::set("DriverDatabase\\DeviceIds\\" + package.version.class_guid, inf_name, RegistryValue::none(), why));
    for (const RankedId& ranked : ids) {
        const auto [enumerator, rest] = split_enumerator(ranked.id);
        edits.push_back(RegistryEdit::set("DriverDatabase\\DeviceIds\\" + enumerator + "\\" + rest, inf_name,
                                          RegistryValue::binary({ranked.rank, 0xff, 0x00, 0x00}), why));
        edits.push_back(RegistryEdit::set(packages + "\\Descriptors\\" + enumerator + "\\" + rest, "Configuration",
                                          RegistryValue::sz(configuration), why));
    }
    return edits;
}

}  // namespace dagda::windows::inoculate
