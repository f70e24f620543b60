#pragma once
/// `[x.Services]` sections: AddService lines and the service-install sections they name
/// (INF AddService directive, learn.microsoft.com).

#include "windows/inf/InfCopyFiles.hpp"
#include "windows/inf/InfFile.hpp"
#include "windows/inf/InfRegistry.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dagda::windows::inf {

/// AddService flag: this service is the device's function driver (SPSVCINST_ASSOCSERVICE).
inline constexpr std::uint32_t spsvcinst_assocservice = 0x2;

/// StartType values (SERVICE_*_START).
namespace service_start {
inline constexpr std::uint32_t boot = 0;
inline constexpr std::uint32_t system = 1;
inline constexpr std::uint32_t automatic = 2;
inline constexpr std::uint32_t demand = 3;
inline constexpr std::uint32_t disabled = 4;
}  // namespace service_start

/// One service an INF installs: the AddService line plus its service-install section.
struct ServiceInstall {
    std::string name;                   ///< the key under Services (AddService field 1)
    std::uint32_t add_flags = 0;        ///< SPSVCINST_* flags of the AddService line
    bool function_driver = false;       ///< add_flags has SPSVCINST_ASSOCSERVICE (0x2)
    std::string install_section;        ///< the service-install section
    std::uint32_t service_type = 0;     ///< 1 kernel driver, 2 file system driver, 0x10 own process...
    std::uint32_t start_type = 0;       ///< service_start::*
    std::uint32_t error_control = 0;    ///< 0 ignore, 1 normal, 2 severe, 3 critical
    std::string binary;                 ///< ServiceBinary after substitution, e.g. "%12%\viostor.sys"
    InfDirectory binary_dir;            ///< its dirid and subfolder
    std::string image_path;             ///< relative to %SystemRoot%: "System32\drivers\viostor.sys"
                                        ///< (what ImagePath holds, without "\SystemRoot\")
    std::string load_order_group;       ///< LoadOrderGroup ("" when absent)
    std::string display_name;           ///< DisplayName ("" when absent; undefined tokens kept)
    std::string description;            ///< Description ("" when absent)
    std::vector<std::string> dependencies;     ///< Dependencies ("+group" names a group)
    std::vector<RegEntry> add_reg;             ///< service AddReg; HKR is Services\<name>
    std::string event_log_section;             ///< AddService field 4 ("" when absent)
    std::vector<RegEntry> event_log_add_reg;   ///< its AddReg; HKR is the event log source key
    unsigned line = 0;                  ///< the AddService line
};

/// The services installed by the AddService lines of `services` (a `[x.Services]` section),
/// in order; lines with an empty service name (a "null driver") are skipped. Throws inf_error
/// at the AddService line for a missing or undefined name or section, non-numeric flags, or a
/// section that does not exist; at the service-install section for a missing ServiceType,
/// StartType, ErrorControl or ServiceBinary; and at the value's line for a non-numeric or
/// out-of-range number, or a ServiceBinary that does not start with a known %dirid%.
std::vector<ServiceInstall> read_services(const InfFile& inf, const InfSection& services, const std::string& store_folder);

}  // namespace dagda::windows::inf
