#pragma once
/// Facts about the machine the agent runs on: firmware mode, CPUs, memory, names.
///
/// The firmware mode decides whether a restored disk needs an EFI system partition or a
/// BIOS boot path; CPU and memory let the controller size work it schedules on this machine.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace dagda::inventory {

/// How the machine booted.
enum class FirmwareMode {
    bios,  ///< legacy BIOS (or CSM): no `<sys>/firmware/efi`
    uefi,  ///< UEFI: the kernel exposes `<sys>/firmware/efi`
};

/// "bios" or "uefi", as it appears in JSON.
const char* to_string(FirmwareMode mode) noexcept;

/// The running machine.
struct Machine {
    FirmwareMode firmware = FirmwareMode::bios;  ///< boot firmware mode
    unsigned cpu_count = 1;                      ///< logical CPUs online to the kernel, at least 1
    std::optional<std::uint64_t> memory_bytes;   ///< `MemTotal` in bytes; nullopt when meminfo is unreadable
    std::string hostname;                        ///< gethostname()
    std::string kernel_release;                  ///< uname().release, e.g. "6.1.0-18-amd64"
    /// SMBIOS system UUID (`<sys>/class/dmi/id/product_uuid`, lower case; root only), the
    /// identity that survives a reboot into the live image; nullopt when absent or unreadable.
    std::optional<std::string> product_uuid;
};

/// Number of `processor` entries in a cpuinfo file, or nullopt when the file is unreadable or
/// has none (s390 and some ARM kernels word it differently).
std::optional<unsigned> count_processors(const std::filesystem::path& cpuinfo);

/// `MemTotal` of a meminfo file in bytes (the file states kB = 1024 bytes), or nullopt when
/// the file or the line is missing or malformed.
std::optional<std::uint64_t> read_mem_total(const std::filesystem::path& meminfo);

/// Reads the machine: firmware mode from `<sys_root>/firmware/efi`, CPU count from
/// `<proc_root>/cpuinfo` (falling back to std::thread::hardware_concurrency()), memory from
/// `<proc_root>/meminfo`, hostname and kernel release from the running kernel.
/// Throws Error{failed} only when gethostname or uname fail.
Machine read_machine(const std::filesystem::path& sys_root = "/sys",
                     const std::filesystem::path& proc_root = "/proc");

/// JSON object: firmware ("bios"/"uefi"), cpu_count (integer), memory_bytes (integer bytes or null),
/// hostname, kernel_release.
void to_json(nlohmann::json& out, const Machine& machine);

}  // namespace dagda::inventory
