#pragma once
/// A driver package as the inoculation layer needs it: for one target Windows, the devices an
/// INF installs (hardware and compatible IDs), the DDInstall section each uses, its services
/// with their settings, the files it copies and where, and its registry values.

#include "windows/inf/InfCopyFiles.hpp"
#include "windows/inf/InfFile.hpp"
#include "windows/inf/InfRegistry.hpp"
#include "windows/inf/InfServices.hpp"
#include "windows/inf/TargetPlatform.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace dagda::windows::inf {

/// The [Version] section.
struct InfVersion {
    std::string class_name;                   ///< Class, e.g. "SCSIAdapter" ("" when absent)
    std::string class_guid;                   ///< ClassGuid as written, e.g. "{4D36E97B-...}"
    std::string provider;                     ///< Provider after string substitution
    std::string catalog_file;                 ///< CatalogFile.NT<arch>, else .NT, else undecorated
    unsigned year = 0, month = 0, day = 0;    ///< DriverVer date (0 when there is no DriverVer)
    std::array<std::uint16_t, 4> version{};   ///< DriverVer a.b.c.d (missing parts are 0)
};

/// One line of the chosen Models section: a device the INF installs.
struct DeviceModel {
    std::string description;                  ///< the line's key after substitution
    std::string install;                      ///< DDInstall name as written ("scsi_inst")
    std::string hardware_id;                  ///< e.g. "PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00"
    std::vector<std::string> compatible_ids;  ///< the rest of the line
    std::string models_section;               ///< e.g. "VioStor.NTamd64"
    unsigned line = 0;
};

/// One DDInstall section, resolved for the target, with what it installs.
struct Installation {
    std::string install;                      ///< the name Models lines use ("scsi_inst")
    std::string section;                      ///< the variant used ("scsi_inst.NTamd64", "disk.NT")
    std::vector<ServiceInstall> services;     ///< from [<section>.Services]
    std::vector<FileCopy> files;              ///< its CopyFiles
    std::vector<RegEntry> add_reg;            ///< its AddReg (HKR = the device's software key)
    std::vector<RegEntry> hw_add_reg;         ///< [<section>.HW] AddReg (HKR = the device key)
    std::vector<std::string> needs;           ///< Include= / Needs= entries (other INFs' sections,
                                              ///< not followed here)
};

/// Everything one INF installs on one target.
struct DriverPackage {
    std::string inf_name;                     ///< file name as Windows stores it ("viostor.inf"
                                              ///< for the template viostor.inx)
    std::string store_folder;                 ///< DriverStore folder "<inf>_<arch>_0000000000000000"
                                              ///< used for dirid 13 paths (zero hash, as virt-v2v)
    TargetWindows target;
    InfVersion version;
    std::string decoration;                   ///< TargetOSVersion picked for the first manufacturer
                                              ///< ("NTamd64.10.0...16299"; "" for undecorated)
    std::vector<DeviceModel> devices;         ///< every Models line of every fitting manufacturer
    std::vector<Installation> installations;  ///< one per distinct DDInstall variant, in order
    bool boot_storage = false;                ///< a boot storage driver: Class SCSIAdapter or HDC
                                              ///< (or their ClassGuid), or a function service that
                                              ///< starts at boot in a storage or bus load group

    /// Hardware IDs of all devices, in Models order, each once.
    std::vector<std::string> hardware_ids() const;
    /// The installation a device uses.
    const Installation& installation_for(const DeviceModel& device) const;
    /// The first function-driver service (SPSVCINST_ASSOCSERVICE) of any installation, else the
    /// first service, else nullptr.
    const ServiceInstall* function_service() const;
    /// Files of all installations, each target path once.
    std::vector<FileCopy> files() const;
};

/// The package `inf` yields on `target`. Template tokens are stamped first (stamp_template).
/// Picks the best [Manufacturer] decoration per manufacturer (best_decoration), reads the Models
/// lines, resolves each DDInstall variant, its services, files and registry values, and reads
/// [Version]. Throws inf_error naming the file and line for malformed input: no [Manufacturer],
/// no decoration fitting the target (the message lists what the INF offers), a missing Models
/// section, a Models line without install section or hardware ID, a bad DriverVer, and all the
/// errors of read_services, copy_files and add_reg_entries. Throws Error{failed} for an unknown
/// target architecture.
DriverPackage driver_package(const InfFile& inf, const TargetWindows& target);

}  // namespace dagda::windows::inf
