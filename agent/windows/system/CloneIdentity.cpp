#include "windows/system/CloneIdentity.hpp"

#include "core/Error.hpp"

#include <algorithm>
#include <cctype>

namespace dagda::windows::system {

using registry::RegistryEdit;
using registry::RegistryValue;

void check_computer_name(const std::string& name) {
    const auto bad = [&](const std::string& why) { throw Error(ErrorKind::usage, "computer name \"" + name + "\" " + why); };
    if (name.empty() || name.size() > 15) bad("must be 1 to 15 characters (NetBIOS names are at most 15)");
    if (!std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isalnum(c) || c == '-'; }))
        bad("may hold only letters, digits and hyphens");
    if (name.front() == '-' || name.back() == '-') bad("may not start or end with a hyphen");
    if (std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isdigit(c); })) bad("may not be only digits");
}

std::vector<RegistryEdit> plan_clone_identity(const registry::Hive& system, const WindowsInstall& windows,
                                              const CloneIdentity& identity) {
    check_computer_name(identity.computer_name);
    std::string netbios = identity.computer_name;
    std::transform(netbios.begin(), netbios.end(), netbios.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    std::vector<RegistryEdit> edits;
    for (const unsigned number : windows.control_sets) {
        const std::string set = WindowsInstall::control_set_key(number);
        const std::string why = "the clone's name";
        edits.push_back(RegistryEdit::set(set + "\\Control\\ComputerName\\ComputerName", "ComputerName", RegistryValue::sz(netbios), why));
        const std::string tcpip = set + "\\Services\\Tcpip\\Parameters";
        edits.push_back(RegistryEdit::set(tcpip, "Hostname", RegistryValue::sz(identity.computer_name), why));
        edits.push_back(RegistryEdit::set(tcpip, "NV Hostname", RegistryValue::sz(identity.computer_name), why));
        if (!identity.dhcp_all_nics) continue;
        const auto interfaces = system.find(tcpip + "\\Interfaces");
        if (!interfaces) continue;
        for (const registry::KeyId nic : system.children(*interfaces)) {
            const std::string key = tcpip + "\\Interfaces\\" + system.key_name(nic);
            const auto dhcp = system.value(nic, "EnableDHCP");
            const auto address = system.value(nic, "IPAddress");
            const bool is_static = (dhcp && dhcp->number() == 0u) || (address && address->texts() && !address->texts()->empty() &&
                                                                       address->texts()->front() != "0.0.0.0");
            if (!is_static) continue;
            const std::string reason = "the clone must not take the original's address";
            edits.push_back(RegistryEdit::set(key, "EnableDHCP", RegistryValue::dword(1), reason));
            for (const char* value : {"IPAddress", "SubnetMask", "DefaultGateway", "DefaultGatewayMetric"})
                edits.push_back(RegistryEdit::remove_value(key, value, reason));
            if (system.value(nic, "NameServer")) edits.push_back(RegistryEdit::set(key, "NameServer", RegistryValue::sz(""), reason));
        }
    }
    return registry::effective_edits(system, edits);
}

}  // namespace dagda::windows::system
