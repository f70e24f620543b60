#include "windows/inf/DriverPackage.hpp"

#include <algorithm>
#include <optional>
#include <set>

namespace dagda::windows::inf {

namespace {

// How Windows names the INF in the DriverStore: the file name, a template's .inx read as .inf.
std::string inf_file_name(const std::string& file) {
    const std::size_t slash = file.find_last_of("/\\");
    std::string name = slash == std::string::npos ? file : file.substr(slash + 1);
    if (name.size() > 4 && iequals(name.substr(name.size() - 4), ".inx")) name.replace(name.size() - 4, 4, ".inf");
    return name;
}

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts;
    std::size_t begin = 0;
    for (std::size_t at = text.find(separator); at != std::string::npos; at = text.find(separator, begin)) {
        parts.push_back(text.substr(begin, at - begin));
        begin = at + 1;
    }
    parts.push_back(text.substr(begin));
    return parts;
}

// DriverVer = MM/DD/YYYY[,a.b.c.d]
void read_driver_ver(const InfFile& inf, const InfLine& line, InfVersion& out) {
    const std::string& date = inf.required(line, 0, "DriverVer date");
    const std::vector<std::string> parts = split(date, '/');
    std::array<std::optional<std::uint32_t>, 3> numbers{};
    for (std::size_t i = 0; i < parts.size() && i < 3; ++i) numbers[i] = parse_inf_number(parts[i]);
    if (parts.size() != 3 || !numbers[0] || !numbers[1] || !numbers[2] || *numbers[0] < 1 || *numbers[0] > 12 ||
        *numbers[1] < 1 || *numbers[1] > 31 || *numbers[2] < 1601 || *numbers[2] > 9999) {
        throw inf.error(line.line, "DriverVer date \"" + date + "\" is not MM/DD/YYYY");
    }
    out.month = *numbers[0];
    out.day = *numbers[1];
    out.year = *numbers[2];
    const std::string& version = InfFile::optional(line, 1);
    if (version.empty()) return;
    const std::vector<std::string> pieces = split(version, '.');
    if (pieces.size() > 4) throw inf.error(line.line, "DriverVer version \"" + version + "\" has more than four parts");
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        const bool decimal = !pieces[i].empty() && pieces[i].find_first_not_of("0123456789") == std::string::npos;
        const std::optional<std::uint32_t> value = decimal ? parse_inf_number(pieces[i]) : std::nullopt;
        if (!value || *value > 0xFFFF) throw inf.error(line.line, "DriverVer version \"" + version + "\" is not a.b.c.d (each 0..65535)");
        out.version[i] = static_cast<std::uint16_t>(*value);
    }
}

InfVersion read_version(const InfFile& inf, const std::string& arch) {
    InfVersion out;
    const InfSection* section = inf.find("Version");
    if (!section) throw inf.error(1, "no [Version] section");
    const InfSection& version = *section;
    const auto value = [&](const std::string& key) {
        const InfLine* line = version.find(key);
        return line ? InfFile::optional(*line, 0) : std::string();
    };
    out.class_name = value("Class");
    out.class_guid = value("ClassGuid");
    out.provider = value("Provider");
    for (const std::string& key : {"CatalogFile.NT" + arch, std::string("CatalogFile.NT"), std::string("CatalogFile")}) {
        if (version.find(key)) {
            out.catalog_file = value(key);
            break;
        }
    }
    if (const InfLine* line = version.find("DriverVer")) read_driver_ver(inf, *line, out);
    return out;
}

DeviceModel read_model_line(const InfFile& inf, const InfSection& models, const InfLine& line) {
    if (!line.has_key) throw inf.error(line.line, "Models line has no '=' (expected description = install-section, hardware-id)");
    DeviceModel device;
    device.description = line.key;
    device.install = inf.required(line, 0, "Models line install section");
    device.hardware_id = inf.required(line, 1, "Models line hardware ID");
    for (std::size_t i = 2; i < line.fields.size(); ++i) {
        if (!line.fields[i].empty()) device.compatible_ids.push_back(inf.required(line, i, "Models line compatible ID"));
    }
    device.models_section = models.name;
    device.line = line.line;
    return device;
}

// Models lines of every manufacturer with a decoration that fits; the first one's decoration.
std::vector<DeviceModel> read_models(const InfFile& inf, const TargetWindows& target, std::string& decoration) {
    const InfSection* manufacturer = inf.find("Manufacturer");
    if (!manufacturer) throw inf.error(1, "no [Manufacturer] section");
    std::vector<DeviceModel> devices;
    std::string offered;
    bool any_fit = false;
    for (const InfLine& line : manufacturer->lines) {
        const std::string& models = inf.required(line, 0, "[Manufacturer] models section name");
        std::vector<std::string> candidates{""};  // the undecorated Models section
        for (std::size_t i = 1; i < line.fields.size(); ++i) {
            if (line.fields[i].empty()) continue;
            candidates.push_back(line.fields[i]);
            offered += (offered.empty() ? "" : ", ") + line.fields[i];
        }
        const std::optional<std::string> best = best_decoration(candidates, target);
        if (!best) continue;
        const InfSection* section = best->empty() ? inf.find(models) : &inf.section(models + "." + *best, line.line, "[Manufacturer]");
        if (!section) continue;  // x86 fallback to an undecorated section the INF does not have
        if (!any_fit) decoration = *best;
        any_fit = true;
        for (const InfLine& model : section->lines) devices.push_back(read_model_line(inf, *section, model));
    }
    if (!any_fit) {
        throw inf.error(manufacturer->line, "no [Manufacturer] entry fits Windows " + describe(target) + " (the INF offers: " +
                                                (offered.empty() ? "undecorated Models only" : offered) + ")");
    }
    if (devices.empty()) throw inf.error(manufacturer->line, "the Models sections for Windows " + describe(target) + " list no devices");
    return devices;
}

Installation read_installation(const InfFile& inf, const DeviceModel& device, const std::string& variant,
                               const std::string& arch, const std::string& store_folder) {
    const InfSection& section = *inf.find(variant);
    Installation out;
    out.install = device.install;
    out.section = section.name;
    out.files = copy_files(inf, section, arch, store_folder);
    out.add_reg = add_reg_entries(inf, section);
    if (const InfSection* hardware = inf.find(variant + ".HW")) out.hw_add_reg = add_reg_entries(inf, *hardware);
    if (const InfSection* services = inf.find(variant + ".Services")) out.services = read_services(inf, *services, store_folder);
    for (const char* key : {"Include", "Needs"}) {
        for (const InfLine* line : section.find_all(key)) {
            for (const std::string& field : line->fields) {
                if (!field.empty()) out.needs.push_back(field);
            }
        }
    }
    return out;
}

// Load order groups of drivers the boot loader starts for storage: miniports, class drivers
// and the buses under them (the groups of storahci, stornvme, disk, pci, intelide, atapi...).
bool boot_storage_group(const std::string& group) {
    for (const char* name : {"SCSI miniport", "SCSI Port", "SCSI Class", "Boot Bus Extender", "System Bus Extender", "Primary Disk"}) {
        if (iequals(group, name)) return true;
    }
    return false;
}

bool is_boot_storage(const DriverPackage& package) {
    const InfVersion& v = package.version;
    if (iequals(v.class_name, "SCSIAdapter") || iequals(v.class_name, "HDC") ||
        iequals(v.class_guid, "{4D36E97B-E325-11CE-BFC1-08002BE10318}") ||
        iequals(v.class_guid, "{4D36E96A-E325-11CE-BFC1-08002BE10318}")) {
        return true;
    }
    for (const Installation& installation : package.installations) {
        for (const ServiceInstall& service : installation.services) {
            if (service.function_driver && service.start_type == service_start::boot && boot_storage_group(service.load_order_group)) return true;
        }
    }
    return false;
}

}  // namespace

std::vector<std::string> DriverPackage::hardware_ids() const {
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (const DeviceModel& device : devices) {
        if (seen.insert(ascii_lower(device.hardware_id)).second) out.push_back(device.hardware_id);
    }
    return out;
}

const Installation& DriverPackage::installation_for(const DeviceModel& device) const {
    for (const Installation& installation : installations) {
        if (iequals(installation.install, device.install)) return installation;
    }
    throw Error(ErrorKind::failed, inf_name + ": no installation for " + device.install);
}

const ServiceInstall* DriverPackage::function_service() const {
    const ServiceInstall* first = nullptr;
    for (const Installation& installation : installations) {
        for (const ServiceInstall& service : installation.services) {
            if (service.function_driver) return &service;
            if (!first) first = &service;
        }
    }
    return first;
}

std::vector<FileCopy> DriverPackage::files() const {
    std::vector<FileCopy> out;
    std::set<std::string> seen;
    for (const Installation& installation : installations) {
        for (const FileCopy& file : installation.files) {
            if (seen.insert(ascii_lower(file.target_path)).second) out.push_back(file);
        }
    }
    return out;
}

DriverPackage driver_package(const InfFile& original, const TargetWindows& target) {
    const std::string arch = checked_arch(target);
    const InfFile inf = stamp_template(original, target);
    DriverPackage package;
    package.inf_name = inf_file_name(inf.file());
    package.store_folder = ascii_lower(package.inf_name) + "_" + arch + "_0000000000000000";
    package.target = target;
    package.version = read_version(inf, arch);
    package.devices = read_models(inf, target, package.decoration);
    for (const DeviceModel& device : package.devices) {
        const std::string variant = install_variant(inf, device.install, target, device.line);
        const bool known = std::any_of(package.installations.begin(), package.installations.end(),
                                       [&](const Installation& i) { return iequals(i.section, variant); });
        if (!known) package.installations.push_back(read_installation(inf, device, variant, arch, package.store_folder));
    }
    package.boot_storage = is_boot_storage(package);
    return package;
}

}  // namespace dagda::windows::inf
