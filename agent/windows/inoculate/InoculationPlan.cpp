#include "windows/inoculate/InoculationPlan.hpp"

#include "core/Error.hpp"
#include "windows/inf/TargetPlatform.hpp"
#include "windows/inoculate/BootBinding.hpp"
#include "windows/inoculate/ClassFilters.hpp"
#include "windows/inoculate/PackageFiles.hpp"
#include "windows/ntfs/NtfsEditor.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <strings.h>

namespace dagda::windows::inoculate {

namespace {

using registry::RegistryEdit;
using registry::RegistryValue;

std::vector<std::uint8_t> read_host_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorKind::failed, "cannot read " + path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string volume_path(const std::string& system_root, const std::string& relative) {
    std::string path = system_root + "/" + relative;
    std::replace(path.begin(), path.end(), '\\', '/');
    return path;
}

inf::TargetWindows target_of(const system::WindowsInstall& windows) {
    return {windows.major, windows.minor, windows.build, windows.architecture, windows.server()};
}

bool lower_version(const FolderPackage& a, const FolderPackage& b) { return a.package.version.version < b.package.version.version; }

class Planner {
public:
    Planner(const ntfs::NtfsVolume& volume, const system::OfflineHive& hive, const system::WindowsInstall& windows,
            const DriverCatalog& catalog)
        : volume_(volume), hive_(hive.hive()), windows_(windows), catalog_(catalog) {
        plan_.windows = windows;
        for (const unsigned set : windows.control_sets) control_sets_.push_back(system::WindowsInstall::control_set_key(set));
    }

    void use_folder(const std::string& folder) {
        FolderScan scan = scan_driver_folder(folder, target_of(windows_));
        packages_ = std::move(scan.packages);
        for (const std::string& line : scan.not_fitting) plan_.notes.push_back("skipped " + line);
    }
    const std::vector<FolderPackage>& packages() const { return packages_; }

    /// A catalog target: a package from --drivers that serves its IDs wins; else the in-box driver.
    void add_target(const CatalogTarget& target) {
        if (!chosen_.insert(target.name).second) return;
        std::vector<const FolderPackage*> serving;
        for (const FolderPackage& package : packages_)
            if (serves(package, target)) serving.push_back(&package);
        if (!serving.empty()) {
            const FolderPackage* newest = *std::max_element(serving.begin(), serving.end(),
                                                            [](const auto* a, const auto* b) { return lower_version(*a, *b); });
            add_package(*newest, target.name, target.class_guid);
            return;
        }
        const InboxRange* inbox = target.inbox_for(windows_.major, windows_.minor);
        if (!inbox)
            throw Error(ErrorKind::refused, target.name + " (" + target.description + ") is not in-box on " + windows_.describe() +
                                                ": give --drivers DIR holding its vendor package (INF, SYS, CAT) (nothing was written)");
        add_inbox(target, *inbox);
    }

    bool add_package_once(const FolderPackage& package, const std::string& name) {
        if (!chosen_.insert(package.inf_path).second) return false;
        add_package(package, name, package.package.version.class_guid);
        return true;
    }

    void add_disables(const std::vector<std::string>& extra) {
        std::vector<std::pair<std::string, std::string>> names;
        for (const DisabledService& service : catalog_.disable_services) names.emplace_back(service.name, service.why);
        for (const std::string& name : extra) names.emplace_back(name, "named with --disable");
        for (const auto& [name, why] : names) {
            for (const std::string& set : control_sets_) {
                if (!hive_.find(set + "\\Services\\" + name)) continue;
                edits_.push_back(RegistryEdit::set(set + "\\Services\\" + name, "Start", RegistryValue::dword(4), "disable: " + why));
                disabled_.insert(lower(name));
            }
        }
    }

    InoculationPlan finish() {
        for (const std::string& set : control_sets_) {
            std::vector<RegistryEdit> filters = class_filter_edits(hive_, set, disabled_);
            edits_.insert(edits_.end(), filters.begin(), filters.end());
        }
        plan_.system_edits = registry::effective_edits(hive_, unique(edits_));
        return std::move(plan_);
    }

private:
    static std::string lower(std::string text) {
        std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        return text;
    }

    static bool serves(const FolderPackage& package, const CatalogTarget& target) {
        for (const inf::DeviceModel& device : package.package.devices) {
            if (target.matches(device.hardware_id)) return true;
            for (const std::string& id : device.compatible_ids)
                if (target.matches(id)) return true;
        }
        return false;
    }

    static std::vector<RegistryEdit> unique(const std::vector<RegistryEdit>& edits) {
        std::vector<RegistryEdit> out;
        std::set<std::string> seen;
        for (const RegistryEdit& edit : edits) {
            const std::string identity = std::to_string(static_cast<int>(edit.kind)) + "|" + lower(edit.key) + "|" + lower(edit.value_name);
            if (seen.insert(identity).second) out.push_back(edit);
        }
        return out;
    }

    void add_inbox(const CatalogTarget& target, const InboxRange& inbox) {
        const std::string current = system::WindowsInstall::control_set_key(windows_.current_control_set);
        for (const std::string& set : control_sets_) {
            // The current set must have the binding service; another set (LastKnownGood) that
            // lacks it is left alone: Windows falls back to it only after a failed boot.
            if (set != current && !hive_.find(set + "\\Services\\" + inbox.bind)) {
                plan_.notes.push_back("note: " + set + " has no " + inbox.bind + " service; it is left as it is");
                continue;
            }
            for (const std::string& service : inbox.services) {
                // A service missing from this install (intelide on a machine without Intel IDE)
                // is fine as long as the binding service exists.
                if (service != inbox.bind && !hive_.find(set + "\\Services\\" + service)) continue;
                const auto edits = boot_start_inbox_service(hive_, set, service);
                edits_.insert(edits_.end(), edits.begin(), edits.end());
            }
            if (!windows_.driver_database) bind_inbox_cdd(target, inbox, set);
        }
        if (windows_.driver_database && !inbox_bound_in_driver_database(target))
            plan_.notes.push_back("warning: DriverDatabase\\DeviceIds has none of " + target.ids.front() +
                                  "…; " + inbox.bind + " may not bind at boot on this Windows");
        plan_.drivers.push_back({target.name, true, inbox.services, ""});
    }

    void bind_inbox_cdd(const CatalogTarget& target, const InboxRange& inbox, const std::string& set) {
        const std::string cdd = set + "\\Control\\CriticalDeviceDatabase\\";
        for (const std::string& id : target.ids) {
            std::string name = id;
            std::replace(name.begin(), name.end(), '\\', '#');
            const auto key = hive_.find(cdd + name);
            const auto bound = key ? hive_.value(*key, "Service") : std::nullopt;
            if (bound && bound->text() && strcasecmp(bound->text()->c_str(), inbox.bind.c_str()) != 0) {
                plan_.notes.push_back("note: " + set + " binds " + id + " to " + *bound->text() + ", not " + inbox.bind + "; left as it is");
                continue;
            }
            const auto edits = bind_critical_device_database(set, {id}, inbox.bind, target.class_guid);
            edits_.insert(edits_.end(), edits.begin(), edits.end());
        }
    }

    bool inbox_bound_in_driver_database(const CatalogTarget& target) const {
        for (const std::string& id : target.ids) {
            const auto [enumerator, rest] = split_enumerator(id);
            if (hive_.find("DriverDatabase\\DeviceIds\\" + enumerator + "\\" + rest)) return true;
        }
        return false;
    }

    void add_package(const FolderPackage& folder_package, const std::string& name, const std::string& class_guid) {
        const inf::DriverPackage& package = folder_package.package;
        const inf::ServiceInstall* service = package.function_service();
        if (!service) throw Error(ErrorKind::failed, folder_package.inf_path + " installs no service; it cannot make a disk bootable");
        const inf::Installation* installation = nullptr;
        for (const inf::Installation& candidate : package.installations)
            for (const inf::ServiceInstall& s : candidate.services)
                if (s.name == service->name && !installation) installation = &candidate;
        std::vector<RankedId> ids;
        for (const inf::DeviceModel& device : package.devices) {
            if (package.installation_for(device).install != installation->install) continue;
            ids.push_back({device.hardware_id, 1});
            for (std::size_t i = 0; i < device.compatible_ids.size(); ++i)
                ids.push_back({device.compatible_ids[i], static_cast<std::uint8_t>(std::min<std::size_t>(i + 2, 255))});
        }
        copy_package_files(folder_package, *installation);
        check_image_path(folder_package, *service);
        for (const std::string& set : control_sets_) {
            const auto edits = install_service(set, *service, package.inf_name);
            edits_.insert(edits_.end(), edits.begin(), edits.end());
            if (!windows_.driver_database) {
                std::vector<std::string> plain;
                for (const RankedId& ranked : ids) plain.push_back(ranked.id);
                const auto cdd = bind_critical_device_database(set, plain, service->name,
                                                               package.version.class_guid.empty() ? class_guid : package.version.class_guid);
                edits_.insert(edits_.end(), cdd.begin(), cdd.end());
            }
        }
        if (windows_.driver_database) {
            const auto edits = bind_driver_database(package, installation->install, service->name, ids);
            edits_.insert(edits_.end(), edits.begin(), edits.end());
        }
        plan_.drivers.push_back({name, false, {service->name}, folder_package.inf_path});
    }

    void copy_package_files(const FolderPackage& folder_package, const inf::Installation& installation) {
        const inf::DriverPackage& package = folder_package.package;
        for (const inf::FileCopy& copy : installation.files) {
            check_boot_destination(folder_package.inf_path, copy);
            const std::string source = find_package_file(folder_package.folder, copy.source_path);
            if (source.empty())
                throw Error(ErrorKind::failed, folder_package.inf_path + ":" + std::to_string(copy.line) + ": the package has no file " +
                                                   copy.source_path + " (looked in " + folder_package.folder + ")");
            std::vector<std::uint8_t> content = read_host_file(source);
            const std::size_t dot = copy.dest_name.rfind('.');
            if (dot != std::string::npos && strcasecmp(copy.dest_name.c_str() + dot, ".sys") == 0) check_architecture(source, content);
            add_file(package, source, copy.target_path, std::move(content), "driver file of " + package.inf_name);
        }
        // Stage the INF and its catalog where the DriverDatabase label points, for pnputil and
        // for whoever looks at this system later.
        const std::string staging = "System32\\DriverStore\\FileRepository\\" + package.store_folder;
        const std::string ext = folder_package.inf_path.substr(folder_package.inf_path.rfind('.'));
        std::vector<std::uint8_t> inf_bytes = read_host_file(folder_package.inf_path);
        if (strcasecmp(ext.c_str(), ".inx") == 0) {  // a template: stage what it stamps to
            const std::string text = inf::stamp_template(inf::load_inf(folder_package.inf_path), target_of(windows_)).text();
            inf_bytes.assign(text.begin(), text.end());
        }
        add_file(package, folder_package.inf_path, staging + "\\" + package.inf_name, std::move(inf_bytes), "staged INF of " + package.inf_name);
        if (!package.version.catalog_file.empty()) {
            check_catalog_name(folder_package.inf_path, package.version.catalog_file);
            const std::string cat = find_package_file(folder_package.folder, package.version.catalog_file);
            if (cat.empty()) plan_.notes.push_back("note: " + folder_package.inf_path + " names catalog " + package.version.catalog_file + ", which is not beside it");
            else add_file(package, cat, staging + "\\" + package.version.catalog_file, read_host_file(cat), "staged catalog of " + package.inf_name);
        }
    }

    /// The service's ImagePath must name a file this plan copies (trap 8: a Windows 11 INF may
    /// run the driver from the DriverStore while its CopyFiles say System32\drivers).
    void check_image_path(const FolderPackage& folder_package, const inf::ServiceInstall& service) const {
        const std::string image = volume_path(windows_.system_root, service.image_path);
        for (const FileCopyAction& file : plan_.files)
            if (strcasecmp(file.target.c_str(), image.c_str()) == 0) return;
        throw Error(ErrorKind::refused, folder_package.inf_path + ": service " + service.name + " would start " + service.image_path +
                                            ", which the package does not copy; Windows would not find its boot driver (nothing was written)");
    }

    void check_architecture(const std::string& source, const std::vector<std::uint8_t>& content) const {
        const std::string arch = pe_architecture(content);
        if (arch.empty()) throw Error(ErrorKind::refused, source + " is not a Windows driver (no PE header) (nothing was written)");
        if (arch != windows_.architecture)
            throw Error(ErrorKind::refused, source + " is built for " + arch + ", but this Windows is " + windows_.architecture +
                                                "; a driver of the wrong architecture never loads (nothing was written)");
    }

    /// `relative` is the file's place from %SystemRoot%, '\' separated. A file already there is
    /// kept when it holds these bytes, replaced only when it is the package's own older copy.
    void add_file(const inf::DriverPackage& package, const std::string& source, const std::string& relative,
                  std::vector<std::uint8_t> content, const std::string& why) {
        const std::string target = volume_path(windows_.system_root, relative);
        for (const FileCopyAction& existing : plan_.files)
            if (strcasecmp(existing.target.c_str(), target.c_str()) == 0) return;
        FileCopyAction action;
        action.source = source;
        action.target = target;
        action.content = std::move(content);
        action.why = why;
        if (ntfs::is_folder(volume_, target))
            throw Error(ErrorKind::refused, "%SystemRoot%\\" + relative + " (" + target + ") is a folder on this volume; " + package.inf_name +
                                                " cannot copy a file there (nothing was written)");
        if (ntfs::file_size(volume_, target)) {
            action.replaced = ntfs::read_file(volume_, target, max_replaced_size);
            if (action.replaced == action.content) {
                action.write = FileWrite::keep;
                action.replaced.clear();
            } else {
                const Ownership owner = own_older_copy(hive_, current_set(), volume_, windows_.system_root, package, relative);
                if (!owner.own)
                    throw Error(ErrorKind::refused, "%SystemRoot%\\" + relative + " (" + target + ") already exists and differs from " + source +
                                                        ", and it is not " + package.inf_name + "'s own older copy (" + owner.why +
                                                        "): it is not replaced (nothing was written)");
                action.write = FileWrite::replace;
                action.owner = owner.why;
                action.backup = replaced_copy_name(volume_, target);
            }
        }
        plan_.files.push_back(std::move(action));
    }

    std::string current_set() const { return system::WindowsInstall::control_set_key(windows_.current_control_set); }

    const ntfs::NtfsVolume& volume_;

    const registry::Hive& hive_;
    const system::WindowsInstall& windows_;
    const DriverCatalog& catalog_;
    InoculationPlan plan_;
    std::vector<std::string> control_sets_;
    std::vector<FolderPackage> packages_;
    std::vector<RegistryEdit> edits_;
    std::set<std::string> chosen_;
    std::set<std::string> disabled_;
};

}  // namespace

std::string DriverChoice::describe() const {
    std::string services_text;
    for (const std::string& service : services) services_text += (services_text.empty() ? "" : ", ") + service;
    return target + ": " + services_text + (inbox ? " (in-box: start at boot)" : " from " + package + " (out-of-box)");
}

std::string InoculationPlan::text() const {
    std::string out = "Inoculate " + windows.describe() + " in " + windows.system_root + ":\n";
    for (const DriverChoice& driver : drivers) out += "  driver " + driver.describe() + "\n";
    for (const FileCopyAction& file : files) {
        const std::string bytes = " (" + std::to_string(file.content.size()) + " bytes)  ; " + file.why + "\n";
        if (file.write == FileWrite::create) out += "  create " + file.target + " from " + file.source + bytes;
        if (file.write == FileWrite::keep) out += "  keep " + file.target + ": it already holds " + file.source + bytes;
        if (file.write == FileWrite::replace)
            out += "  replace " + file.target + " (" + std::to_string(file.replaced.size()) + " bytes, " + file.owner + "; kept as " +
                   file.backup + ") with " + file.source + bytes;
    }
    for (const RegistryEdit& edit : system_edits) out += "  " + edit.describe("SYSTEM") + "\n";
    if (files_to_write() == 0 && system_edits.empty()) out += "  nothing to change: this Windows is already set up\n";
    for (const std::string& note : notes) out += "  " + note + "\n";
    return out;
}

InoculationPlan plan_inoculation(const ntfs::NtfsVolume& volume, const system::OfflineHive& system_hive,
                                 const system::WindowsInstall& windows, const DriverCatalog& catalog, const InoculationRequest& request) {
    Planner planner(volume, system_hive, windows, catalog);
    if (request.drivers) planner.use_folder(*request.drivers);
    for (const std::string& name : request.targets) planner.add_target(catalog.find(name));
    if (request.machine_devices) {
        for (const std::vector<std::string>& device : *request.machine_devices) {
            bool served = false;
            for (const CatalogTarget& target : catalog.targets)
                if (std::any_of(device.begin(), device.end(), [&](const std::string& id) { return target.matches(id); })) {
                    planner.add_target(target);
                    served = true;
                }
            // A vendor package for a controller the catalog does not know: its Models line names
            // one of the controller's IDs.
            for (const FolderPackage& package : planner.packages()) {
                if (served) break;
                for (const inf::DeviceModel& model : package.package.devices) {
                    const auto names_device = [&](const std::string& model_id) {
                        return std::any_of(device.begin(), device.end(), [&](const std::string& id) { return strcasecmp(id.c_str(), model_id.c_str()) == 0; });
                    };
                    if (!names_device(model.hardware_id) && std::none_of(model.compatible_ids.begin(), model.compatible_ids.end(), names_device)) continue;
                    planner.add_package_once(package, package.package.inf_name);
                    served = true;
                    break;
                }
            }
            if (!served && !device.empty())
                throw Error(ErrorKind::refused, "this machine's storage controller " + device.front() +
                                                    " is not in the driver catalog; give --drivers DIR with its package (nothing was written)");
        }
    }
    if (request.drivers && request.targets.empty() && !request.machine_devices) {
        // Several builds of one package (…/2k12R2/…, …/w10/…) that all fit: the newest DriverVer.
        std::map<std::string, const FolderPackage*> newest;
        for (const FolderPackage& package : planner.packages()) {
            if (!package.package.boot_storage) continue;
            std::string name = package.package.inf_name;
            std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            const FolderPackage*& best = newest[name];
            if (!best || lower_version(*best, package)) best = &package;
        }
        bool any = false;
        for (const auto& [name, package] : newest) any = planner.add_package_once(*package, package->package.inf_name) || any;
        if (!any)
            throw Error(ErrorKind::failed, "no boot-storage driver package in " + *request.drivers + " fits " + windows.describe() +
                                               " (nothing was written)");
    }
    planner.add_disables(request.disable);
    return planner.finish();
}

std::size_t InoculationPlan::files_to_write() const {
    return static_cast<std::size_t>(std::count_if(files.begin(), files.end(), [](const FileCopyAction& f) { return f.write != FileWrite::keep; }));
}

void apply_inoculation(ntfs::NtfsVolume& volume, system::OfflineHive& system_hive, const InoculationPlan& plan,
                       const std::function<void(const std::string&)>& said) {
    for (const FileCopyAction& file : plan.files) write_planned_file(volume, file, said);
    if (plan.system_edits.empty()) return;
    registry::apply_edits(system_hive.hive(), plan.system_edits);
    system_hive.save(volume);
    for (const auto& edit : plan.system_edits) said(edit.describe("SYSTEM"));
}

}  // namespace dagda::windows::inoculate
