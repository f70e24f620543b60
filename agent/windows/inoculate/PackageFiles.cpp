#include "windows/inoculate/PackageFiles.hpp"

#include "core/Error.hpp"
#include "windows/ntfs/NtfsEditor.hpp"

#include <algorithm>

namespace dagda::windows::inoculate {

namespace {

using inf::ascii_lower;
using inf::iequals;

bool ends_with_sys(const std::string& name) { return name.size() > 4 && iequals(name.substr(name.size() - 4), ".sys"); }

// An ImagePath as Windows writes it, relative to %SystemRoot% and lower case:
// "\SystemRoot\System32\drivers\x.sys", "%SystemRoot%\system32\DRIVERS\x.sys" and
// "System32\drivers\x.sys" all become "system32\drivers\x.sys".
std::string image_relative(const std::string& image_path) {
    std::string path = ascii_lower(image_path);
    std::replace(path.begin(), path.end(), '/', '\\');
    for (const char* prefix : {"\\systemroot\\", "%systemroot%\\", "systemroot\\"}) {
        const std::string p(prefix);
        if (path.rfind(p, 0) == 0) return path.substr(p.size());
    }
    return path;
}

std::string listed(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
    return out;
}

}  // namespace

void check_boot_destination(const std::string& inf_path, const inf::FileCopy& copy) {
    const inf::InfDirectory& where = copy.destination;
    if (where.dirid == 13) return;
    if (where.dirid == 12 && where.subdir.empty() && ends_with_sys(copy.dest_name)) return;
    const std::string dirs = "dirid " + std::to_string(where.dirid) + (where.subdir.empty() ? "" : "," + where.subdir);
    throw Error(ErrorKind::refused, inf_path + ":" + std::to_string(copy.line) + ": " + copy.dest_name + " would go to %SystemRoot%\\" +
                                        copy.target_path + " (DestinationDirs " + dirs +
                                        "); a boot driver's files go only to System32\\drivers (dirid 12: .sys files, no subfolder) "
                                        "or to its own DriverStore folder (dirid 13), so the package is refused (nothing was written)");
}

void check_catalog_name(const std::string& inf_path, const std::string& catalog) {
    if (catalog == "." || catalog == ".." || catalog.find_first_of("\\/:") != std::string::npos)
        throw Error(ErrorKind::refused, inf_path + ": CatalogFile \"" + catalog +
                                            "\" is not a plain file name; the package is refused (nothing was written)");
}

Ownership own_older_copy(const registry::Hive& hive, const std::string& control_set, const ntfs::NtfsVolume& volume,
                         const std::string& system_root, const inf::DriverPackage& package, const std::string& relative) {
    const std::string file = ascii_lower(relative);
    const std::string own_folder = "system32\\driverstore\\filerepository\\" + ascii_lower(package.store_folder) + "\\";
    if (file.rfind(own_folder, 0) == 0) return {true, "in " + package.inf_name + "'s own DriverStore folder"};

    const inf::ServiceInstall* service = nullptr;
    for (const inf::Installation& installation : package.installations)
        for (const inf::ServiceInstall& candidate : installation.services)
            if (!service && image_relative(candidate.image_path) == file) service = &candidate;
    if (!service) return {false, "no service of " + package.inf_name + " starts it"};
    const std::string& name = service->name;
    const auto key = hive.find(control_set + "\\Services\\" + name);
    if (!key) return {false, "this Windows has no " + name + " service that would start it"};
    const auto image = hive.value(*key, "ImagePath");
    const auto image_text = image ? image->text() : std::nullopt;
    if (!image_text || image_relative(*image_text) != file) return {false, "this Windows' " + name + " service starts another file"};
    const auto owners = hive.value(*key, "Owners");
    const auto owner_names = owners ? owners->texts() : std::nullopt;
    if (!owner_names || owner_names->empty()) return {false, "this Windows records no owner of its " + name + " service"};
    if (std::none_of(owner_names->begin(), owner_names->end(), [&](const std::string& owner) { return iequals(owner, package.inf_name); }))
        return {false, "this Windows' " + name + " service belongs to " + listed(*owner_names)};
    const std::string inbox_inf = system_root + "/INF/" + package.inf_name;
    if (ntfs::find_path(volume, inbox_inf))
        return {false, package.inf_name + " is one of Windows' own INFs (" + inbox_inf + " exists), and a package never replaces Windows' own driver"};
    return {true, "the older copy of " + package.inf_name + ": this Windows' " + name + " service starts it and is owned by " + package.inf_name};
}

std::string replaced_copy_name(const ntfs::NtfsVolume& volume, const std::string& target) {
    for (unsigned n = 1; n < 1000; ++n) {
        const std::string name = target + ".dagda-replaced" + (n == 1 ? "" : "." + std::to_string(n));
        if (!ntfs::find_path(volume, name)) return name;
    }
    throw Error(ErrorKind::refused, volume.name() + ": " + target + " has 999 replaced copies beside it already; clear them first (nothing was written)");
}

void write_planned_file(ntfs::NtfsVolume& volume, const FileCopyAction& file, const std::function<void(const std::string&)>& said) {
    if (file.write == FileWrite::keep) return;
    // The volume must still hold what the plan saw: nothing where it would create, the same
    // old bytes where it would replace.
    const bool exists = ntfs::file_size(volume, file.target).has_value();
    if (file.write == FileWrite::create && exists)
        throw Error(ErrorKind::refused, file.target + " appeared on the volume after the plan was made; it is not overwritten");
    if (file.write == FileWrite::replace) {
        if (!exists || ntfs::read_file(volume, file.target, max_replaced_size) != file.replaced)
            throw Error(ErrorKind::refused, file.target + " changed on the volume after the plan was made; it is not replaced");
        if (ntfs::find_path(volume, file.backup))
            throw Error(ErrorKind::refused, file.backup + " appeared on the volume after the plan was made; " + file.target + " is not replaced");
        ntfs::write_file(volume, file.backup, file.replaced);
        said("kept the old " + file.target + " as " + file.backup);
    }
    ntfs::ensure_folder(volume, file.target.substr(0, file.target.rfind('/')));
    ntfs::write_file(volume, file.target, file.content);
    said((file.write == FileWrite::replace ? "replaced " : "created ") + file.target + " from " + file.source);
}

}  // namespace dagda::windows::inoculate
