#pragma once
/// Network interfaces as `<sys>/class/net` lists them.
///
/// The controller uses this to map a restored machine's NICs (MAC, driver) to the interfaces
/// the recovery environment sees, and to tell a physical NIC from a bridge, tunnel or loopback.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace dagda::inventory {

/// One interface from `<sys>/class/net/<name>`.
struct NetworkInterface {
    std::string name;                       ///< kernel name: "eth0", "enp1s0", "lo"
    std::optional<std::string> mac;         ///< `address` ("52:54:00:12:34:56"); nullopt when absent or empty
    std::string link_state;                 ///< `operstate`: "up", "down", "unknown", "dormant", …; "unknown" when absent
    std::optional<bool> carrier;            ///< `carrier` (true: cable/link detected); nullopt when unreadable (link down)
    std::optional<std::uint64_t> speed_mbps;///< `speed` in Mb/s; nullopt when unreadable, negative (-1) or absent
    std::optional<std::uint32_t> mtu;       ///< `mtu` in bytes; nullopt when unreadable
    bool is_virtual = false;                ///< true when there is no `device` link (loopback, bridge, tun, veth, …)
    std::optional<std::string> driver;      ///< `device/driver` link name ("virtio_net", "e1000e"); nullopt when none
};

/// Every interface under `<sys_root>/class/net`, sorted by name. Plain files there
/// (`bonding_masters`) are skipped; a missing folder yields an empty list. Reads only sysfs.
std::vector<NetworkInterface> read_network(const std::filesystem::path& sys_root = "/sys");

/// JSON object: name, mac (string or null), link_state, carrier (bool or null),
/// speed_mbps (integer Mb/s or null), mtu (integer bytes or null), virtual (bool), driver (string or null).
void to_json(nlohmann::json& out, const NetworkInterface& nic);

}  // namespace dagda::inventory
