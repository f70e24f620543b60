#include "inventory/Network.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <system_error>

#include <nlohmann/json.hpp>

#include "core/Sysfs.hpp"

namespace dagda::inventory {
namespace {

namespace fs = std::filesystem;

template <typename T>
nlohmann::json json_or_null(const std::optional<T>& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

/// The whole text as a signed decimal, or nullopt. `speed` is printed with %d and the kernel
/// reports an unknown speed as -1, so read_uint (which would wrap it) is not usable here.
std::optional<std::int64_t> parse_int(const std::string& text) {
    std::int64_t value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || ptr != end || text.empty()) return std::nullopt;
    return value;
}

std::optional<std::uint64_t> read_speed(const fs::path& path) {
    // A down link fails the read with EINVAL; read_attr then yields nothing or an empty string.
    const auto text = sysfs::read_attr(path);
    if (!text) return std::nullopt;
    const auto value = parse_int(*text);
    if (!value || *value < 0) return std::nullopt;
    return static_cast<std::uint64_t>(*value);
}

std::optional<bool> read_carrier(const fs::path& path) {
    const auto text = sysfs::read_attr(path);
    if (!text) return std::nullopt;
    if (*text == "1") return true;
    if (*text == "0") return false;
    return std::nullopt;
}

NetworkInterface read_interface(const fs::path& dir) {
    NetworkInterface result;
    result.name = dir.filename().string();

    if (auto mac = sysfs::read_attr(dir / "address"); mac && !mac->empty()) result.mac = std::move(*mac);
    if (auto state = sysfs::read_attr(dir / "operstate"); state && !state->empty()) {
        result.link_state = std::move(*state);
    } else {
        result.link_state = "unknown";
    }
    result.carrier = read_carrier(dir / "carrier");
    result.speed_mbps = read_speed(dir / "speed");
    if (const auto mtu = sysfs::read_uint(dir / "mtu"); mtu && *mtu <= std::numeric_limits<std::uint32_t>::max()) {
        result.mtu = static_cast<std::uint32_t>(*mtu);
    }

    // symlink_status: the `device` link counts even if its target cannot be resolved.
    std::error_code ec;
    const bool has_device = fs::exists(fs::symlink_status(dir / "device", ec));
    result.is_virtual = !has_device || result.name == "lo";
    if (has_device) result.driver = sysfs::link_target_name(dir / "device" / "driver");
    return result;
}

}  // namespace

std::vector<NetworkInterface> read_network(const std::filesystem::path& sys_root) {
    std::vector<NetworkInterface> interfaces;
    std::error_code ec;
    fs::directory_iterator it(sys_root / "class" / "net", ec);
    if (ec) return interfaces;
    for (const auto& entry : it) {
        // Interfaces are symlinks to folders in /sys/devices; bonding_masters is a plain file.
        if (!entry.is_directory(ec)) continue;
        interfaces.push_back(read_interface(entry.path()));
    }
    std::sort(interfaces.begin(), interfaces.end(),
              [](const NetworkInterface& a, const NetworkInterface& b) { return a.name < b.name; });
    return interfaces;
}

void to_json(nlohmann::json& out, const NetworkInterface& nic) {
    out = nlohmann::json{
        {"name", nic.name},
        {"mac", json_or_null(nic.mac)},
        {"link_state", nic.link_state},
        {"carrier", json_or_null(nic.carrier)},
        {"speed_mbps", json_or_null(nic.speed_mbps)},
        {"mtu", json_or_null(nic.mtu)},
        {"virtual", nic.is_virtual},
        {"driver", json_or_null(nic.driver)},
    };
}

}  // namespace dagda::inventory
