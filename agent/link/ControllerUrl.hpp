#pragma once
/// The controller's address as an agent is given it: wss://HOST[:PORT][/PATH] (kernel command
/// line, config file or --controller). Only wss: the link carries orders that erase disks.

#include <string>

namespace dagda::link {

struct ControllerUrl {
    std::string host;          ///< a name, an IPv4 address, or an IPv6 address without brackets
    std::string port = "443";
    std::string path = "/agent";
    bool host_is_address = false;  ///< no SNI for an address
};

/// Throws Error{usage} naming what is wrong.
ControllerUrl parse_controller_url(const std::string& text);

}  // namespace dagda::link
