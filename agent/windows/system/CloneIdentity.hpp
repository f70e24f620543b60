#pragma once
/// A recovered copy that runs beside its original must not answer to the original's name or
/// addresses: offline, it gets another computer name and host name, and its NICs with static
/// IPv4 settings are switched to DHCP. (What an offline edit cannot change, such as the machine
/// SID or a domain account's password, is in docs/windows.md.)

#include "windows/registry/Hive.hpp"
#include "windows/registry/RegistryEdit.hpp"
#include "windows/system/WindowsInstall.hpp"

#include <string>
#include <vector>

namespace dagda::windows::system {

struct CloneIdentity {
    std::string computer_name;  ///< NetBIOS rules: 1-15 letters, digits and hyphens, not only digits
    bool dhcp_all_nics = false;
};

/// Throws Error{usage} naming the rule a computer name breaks.
void check_computer_name(const std::string& name);

/// For every control set Select names: ComputerName\ComputerName (upper case, as Windows keeps
/// it), Tcpip\Parameters Hostname and NV Hostname; with dhcp_all_nics, every
/// Tcpip\Parameters\Interfaces\{…} with a static address gets EnableDHCP=1 and loses IPAddress,
/// SubnetMask, DefaultGateway and DefaultGatewayMetric, and NameServer is emptied so DNS comes
/// from DHCP too.
std::vector<registry::RegistryEdit> plan_clone_identity(const registry::Hive& system, const WindowsInstall& windows,
                                                        const CloneIdentity& identity);

}  // namespace dagda::windows::system
