// dagda inoculate: make a restored Windows boot on this machine's (or a named) storage
// controller. Plan first, print it, then write; --dry-run stops after printing.

#include "app/Commands.hpp"
#include "app/WindowsVolumeArgument.hpp"
#include "core/Error.hpp"
#include "inventory/StorageControllers.hpp"
#include "windows/inoculate/InoculationPlan.hpp"
#include "windows/ntfs/EditableVolume.hpp"
#include "windows/system/OfflineHive.hpp"
#include "windows/system/WindowsInstall.hpp"

#include <iostream>

namespace dagda::app {

namespace po = boost::program_options;
using namespace dagda::windows;

namespace {

inoculate::InoculationRequest request_from(const po::variables_map& vm) {
    inoculate::InoculationRequest request;
    if (vm.count("for")) request.targets = vm["for"].as<std::vector<std::string>>();
    if (vm.count("drivers")) request.drivers = vm["drivers"].as<std::string>();
    if (vm.count("disable")) request.disable = vm["disable"].as<std::vector<std::string>>();
    if (vm.count("auto")) {
        std::vector<std::vector<std::string>> devices;
        for (const auto& controller : inventory::storage_controllers()) devices.push_back(controller.ids);
        if (devices.empty()) throw Error(ErrorKind::failed, "--auto: this machine shows no storage controller (no PCI mass-storage device)");
        request.machine_devices = std::move(devices);
    }
    if (request.targets.empty() && !request.drivers && !request.machine_devices)
        throw po::error("say which drivers: --auto, --for NAME or --drivers DIR");
    return request;
}

}  // namespace

int run_inoculate(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("volume", po::value<std::string>()->required(), "the Windows volume, partition or disk")(
        "auto", "prepare for this machine's storage controllers (PCI IDs, as dagda inventory shows them)")(
        "for", po::value<std::vector<std::string>>()->composing(),
        "prepare for a catalog target (repeatable): vmware-pvscsi, vmware-lsisas, vmware-lsilogic, hyperv-storvsc, "
        "virtio-blk, virtio-scsi, ahci, nvme, ide")(
        "drivers", po::value<std::string>(), "vendor driver packages (INF, SYS, CAT), searched recursively")(
        "disable", po::value<std::vector<std::string>>()->composing(),
        "also set this service to Start=4 (repeatable): e.g. the replication agent of the source server")(
        "catalog", po::value<std::string>(), "a driver catalog file instead of the built-in drivers/catalog.json")(
        "remove-hiberfile", "delete hiberfil.sys of a hibernated or Fast Startup Windows (its saved session is lost)")(
        "dry-run", "print the plan and stop; nothing is written");
    add_volume_options(options);
    add_identity_options(options);
    po::positional_options_description positional;
    positional.add("volume", 1);
    const auto vm = parse_args(args, {"inoculate"}, options, positional);
    if (!vm) return 0;
    const bool dry_run = vm->count("dry-run") > 0;
    const inoculate::InoculationRequest request = request_from(*vm);
    const inoculate::DriverCatalog catalog =
        vm->count("catalog") ? inoculate::load_catalog((*vm)["catalog"].as<std::string>()) : inoculate::builtin_catalog();

    const WindowsVolume v = open_windows_volume((*vm)["volume"].as<std::string>(), *vm, !dry_run, identity_assertions(*vm));
    ntfs::EditOptions edit;
    edit.remove_hiberfile = vm->count("remove-hiberfile") > 0;
    edit.dry_run = dry_run;
    const ntfs::VolumeState state = ntfs::inspect_volume(v.fd.get(), v.offset, v.size, v.name);
    const auto volume = ntfs::open_for_editing(v.fd.get(), v.offset, v.size, v.name, edit);
    const system::WindowsInstall windows = system::inspect_windows(*volume);
    system::OfflineHive hive(*volume, windows.system_root + "/System32/config/SYSTEM", "SYSTEM", true);
    const inoculate::InoculationPlan plan = inoculate::plan_inoculation(*volume, hive, windows, catalog, request);

    std::cout << "Volume " << v.name << "\n";
    if (state.hibernated) std::cout << "  delete /hiberfil.sys (the hibernated session is lost)\n";
    if (!hive.warning().empty()) std::cout << "  " << hive.warning() << "\n";
    std::cout << plan.text() << std::flush;
    if (dry_run) {
        std::cout << "Dry run: nothing was written.\n";
        return 0;
    }
    if (state.hibernated && ntfs::discard_hibernation(*volume)) std::cout << "done: deleted /hiberfil.sys\n";
    inoculate::apply_inoculation(*volume, hive, plan, [](const std::string& done) { std::cout << "done: " << done << "\n" << std::flush; });
    volume->close();
    std::cout << "Inoculated " << windows.describe() << ": " << plan.files_to_write() << " files written, " << plan.system_edits.size()
              << " registry changes.\n";
    return 0;
}

}  // namespace dagda::app
