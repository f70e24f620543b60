// dagda windows set-identity: rename a recovered Windows offline (and switch static NICs to
// DHCP) so a test copy can run beside the original. Plan first; --dry-run stops after printing.

#include "app/Commands.hpp"
#include "app/WindowsVolumeArgument.hpp"
#include "core/Error.hpp"
#include "windows/ntfs/EditableVolume.hpp"
#include "windows/system/CloneIdentity.hpp"
#include "windows/system/OfflineHive.hpp"
#include "windows/system/WindowsInstall.hpp"

#include <iostream>

namespace dagda::app {

namespace po = boost::program_options;
using namespace dagda::windows;

int run_windows_set_identity(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("volume", po::value<std::string>()->required(), "the Windows volume, partition or disk")(
        "computer-name", po::value<std::string>()->required(), "the clone's computer and host name (at most 15 characters)")(
        "dhcp-all-nics", "switch every NIC with a static IPv4 address to DHCP")(
        "dry-run", "print the plan and stop; nothing is written");
    add_volume_options(options);
    add_identity_options(options);
    po::positional_options_description positional;
    positional.add("volume", 1);
    const auto vm = parse_args(args, {"windows", "set-identity"}, options, positional);
    if (!vm) return 0;
    const bool dry_run = vm->count("dry-run") > 0;
    system::CloneIdentity identity{(*vm)["computer-name"].as<std::string>(), vm->count("dhcp-all-nics") > 0};
    system::check_computer_name(identity.computer_name);  // before touching anything

    const WindowsVolume v = open_windows_volume((*vm)["volume"].as<std::string>(), *vm, !dry_run, identity_assertions(*vm));
    const auto volume = ntfs::open_for_editing(v.fd.get(), v.offset, v.size, v.name, {false, dry_run});
    const system::WindowsInstall windows = system::inspect_windows(*volume);
    system::OfflineHive hive(*volume, windows.system_root + "/System32/config/SYSTEM", "SYSTEM", true);
    const auto edits = system::plan_clone_identity(hive.hive(), windows, identity);

    std::cout << "Set the identity of " << windows.describe() << " on " << v.name << ":\n";
    if (!hive.warning().empty()) std::cout << "  " << hive.warning() << "\n";
    for (const auto& edit : edits) std::cout << "  " << edit.describe("SYSTEM") << "\n";
    if (edits.empty()) std::cout << "  nothing to change: it already has this identity\n";
    if (dry_run) {
        std::cout << "Dry run: nothing was written.\n";
        return 0;
    }
    if (edits.empty()) return 0;
    registry::apply_edits(hive.hive(), edits);
    hive.save(*volume);
    volume->close();
    std::cout << "Renamed to " << identity.computer_name << ": " << edits.size() << " registry changes.\n";
    return 0;
}

}  // namespace dagda::app
