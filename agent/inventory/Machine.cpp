#include "inventory/Machine.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <fstream>
#include <system_error>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/Error.hpp"
#include "core/Sysfs.hpp"

namespace dagda::inventory {
namespace {

namespace fs = std::filesystem;

/// `line` starts with `key` followed by whitespace or ':' (so "processor" does not match "processors").
bool has_key(const std::string& line, const std::string& key) {
    if (line.compare(0, key.size(), key) != 0 || line.size() == key.size()) return false;
    const char next = line[key.size()];
    return next == ':' || next == ' ' || next == '\t';
}

std::string host_name() {
#ifdef HOST_NAME_MAX
    char name[HOST_NAME_MAX + 1] = {};
#else
    char name[256] = {};
#endif
    if (::gethostname(name, sizeof name - 1) != 0) throw_errno("gethostname");
    return name;
}

std::string kernel_release() {
    struct utsname info {};
    if (::uname(&info) != 0) throw_errno("uname");
    return info.release;
}

}  // namespace

const char* to_string(FirmwareMode mode) noexcept {
    switch (mode) {
        case FirmwareMode::uefi: return "uefi";
        case FirmwareMode::bios: return "bios";
    }
    return "bios";
}

std::optional<unsigned> count_processors(const std::filesystem::path& cpuinfo) {
    std::ifstream in(cpuinfo);
    if (!in) return std::nullopt;
    unsigned count = 0;
    for (std::string line; std::getline(in, line);) {
        if (has_key(line, "processor")) ++count;
    }
    if (count == 0) return std::nullopt;
    return count;
}

std::optional<std::uint64_t> read_mem_total(const std::filesystem::path& meminfo) {
    std::ifstream in(meminfo);
    if (!in) return std::nullopt;
    for (std::string line; std::getline(in, line);) {
        if (!has_key(line, "MemTotal")) continue;
        // "MemTotal:       24684100 kB"
        const auto colon = line.find(':');
        if (colon == std::string::npos) return std::nullopt;
        const std::string rest = sysfs::trim(line.substr(colon + 1));
        std::uint64_t kib = 0;
        const auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), kib);
        if (ec != std::errc{} || ptr == rest.data()) return std::nullopt;
        const std::string unit = sysfs::trim(std::string(ptr, rest.data() + rest.size()));
        if (unit != "kB") return std::nullopt;
        return kib * 1024;
    }
    return std::nullopt;
}

Machine read_machine(const std::filesystem::path& sys_root, const std::filesystem::path& proc_root) {
    Machine machine;
    std::error_code ec;
    machine.firmware = fs::exists(sys_root / "firmware" / "efi", ec) ? FirmwareMode::uefi : FirmwareMode::bios;
    machine.cpu_count = count_processors(proc_root / "cpuinfo")
                            .value_or(std::max(1u, std::thread::hardware_concurrency()));
    machine.memory_bytes = read_mem_total(proc_root / "meminfo");
    machine.hostname = host_name();
    machine.kernel_release = kernel_release();
    if (auto uuid = sysfs::read_attr(sys_root / "class" / "dmi" / "id" / "product_uuid"); uuid && !uuid->empty()) {
        std::transform(uuid->begin(), uuid->end(), uuid->begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        machine.product_uuid = std::move(*uuid);
    }
    return machine;
}

void to_json(nlohmann::json& out, const Machine& machine) {
    out = nlohmann::json{
        {"firmware", to_string(machine.firmware)},
        {"cpu_count", machine.cpu_count},
        {"memory_bytes", machine.memory_bytes ? nlohmann::json(*machine.memory_bytes) : nlohmann::json(nullptr)},
        {"hostname", machine.hostname},
        {"kernel_release", machine.kernel_release},
        {"product_uuid", machine.product_uuid ? nlohmann::json(*machine.product_uuid) : nlohmann::json(nullptr)},
    };
}

}  // namespace dagda::inventory
