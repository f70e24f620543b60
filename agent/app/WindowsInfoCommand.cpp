// dagda windows info: what Windows an offline volume holds (read-only).

#include "app/Commands.hpp"
#include "app/WindowsVolumeArgument.hpp"
#include "core/Error.hpp"
#include "core/Units.hpp"
#include "windows/ntfs/EditableVolume.hpp"
#include "windows/ntfs/NtfsVolume.hpp"
#include "windows/system/WindowsInstall.hpp"

#include <nlohmann/json.hpp>

#include <iostream>

namespace dagda::app {

namespace po = boost::program_options;

int run_windows_info(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("volume", po::value<std::string>()->required(), "the Windows volume, partition or disk")("json", "print JSON");
    add_volume_options(options);
    po::positional_options_description positional;
    positional.add("volume", 1);
    const auto vm = parse_args(args, {"windows", "info"}, options, positional);
    if (!vm) return 0;
    const WindowsVolume v = open_windows_volume((*vm)["volume"].as<std::string>(), *vm, false, {});
    const windows::ntfs::VolumeState state = windows::ntfs::inspect_volume(v.fd.get(), v.offset, v.size, v.name);
    if (state.bitlocker) throw Error(ErrorKind::failed, v.name + " is encrypted with BitLocker; its Windows cannot be read offline");
    const windows::ntfs::NtfsVolume volume(v.fd.get(), v.offset, v.size, v.name, windows::ntfs::Access::read_only);
    const windows::system::WindowsInstall install = windows::system::inspect_windows(volume);
    nlohmann::json info = install.to_json();
    info["volume"] = {{"path", v.target.path}, {"partition", v.partition}, {"offset", v.offset}, {"size", v.size},
                      {"dirty", state.dirty}, {"hibernated", state.hibernated}};
    if (vm->count("json")) {
        std::cout << info.dump(2) << "\n";
        return 0;
    }
    std::string sets;
    for (const unsigned set : install.control_sets) sets += (sets.empty() ? "" : ", ") + windows::system::WindowsInstall::control_set_key(set);
    std::cout << v.name << " (" << human_bytes(v.size) << "): " << install.describe() << "\n"
              << "  system root:     " << install.system_root << "\n"
              << "  edition:         " << (install.edition_id.empty() ? "-" : install.edition_id) << ", "
              << (install.installation_type.empty() ? "type unknown" : install.installation_type) << "\n"
              << "  control sets:    " << sets << " (current " << install.current_control_set << ")\n"
              << "  boot drivers:    bound through " << (install.driver_database ? "DriverDatabase" : "CriticalDeviceDatabase") << "\n"
              << "  volume state:    " << (state.dirty ? "dirty" : "clean") << (state.hibernated ? ", hibernated" : "") << "\n";
    for (const std::string& warning : install.warnings) std::cout << "  " << warning << "\n";
    return 0;
}

}  // namespace dagda::app
