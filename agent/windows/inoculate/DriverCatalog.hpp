#pragma once
/// The boot-storage catalog (drivers/catalog.json): which controllers `dagda inoculate` knows,
/// their IDs, and where Windows ships their drivers in-box. The file is data; this reads it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dagda::windows::inoculate {

/// Windows versions (major.minor, inclusive) that ship a target's driver, and the services that
/// must boot-start there.
struct InboxRange {
    unsigned since = 0;                  ///< major * 100 + minor: 601 for 6.1
    std::optional<unsigned> until;       ///< inclusive; none means every later version
    std::vector<std::string> services;
    std::string bind;                    ///< the service the IDs bind to (CriticalDeviceDatabase)

    bool covers(unsigned major, unsigned minor) const;
};

struct CatalogTarget {
    std::string name;         ///< what --for takes: "virtio-scsi"
    std::string description;
    std::vector<std::string> ids;  ///< "PCI\VEN_1AF4&DEV_1004"
    std::string class_guid;   ///< "{4D36E97B-E325-11CE-BFC1-08002BE10318}"
    std::vector<InboxRange> inbox;

    /// The in-box range for a Windows version, or nullptr when a vendor package is needed.
    const InboxRange* inbox_for(unsigned major, unsigned minor) const;
    /// Whether a device ID (hardware or compatible) belongs to this target.
    bool matches(const std::string& device_id) const;
};

struct DisabledService {
    std::string name;
    std::string why;
};

struct DriverCatalog {
    std::vector<CatalogTarget> targets;
    std::vector<DisabledService> disable_services;

    /// The target named `name`; throws Error{usage} listing the known names otherwise.
    const CatalogTarget& find(const std::string& name) const;
};

/// A device ID matches a catalog ID when they are equal ignoring case, or when the device ID
/// extends it with more '&'-separated parts ("PCI\VEN_1AF4&DEV_1004&SUBSYS_00081AF4&REV_00"
/// matches "PCI\VEN_1AF4&DEV_1004").
bool id_matches(const std::string& catalog_id, const std::string& device_id);

/// Parses catalog JSON; throws Error{failed} naming `name` and the entry for a malformed one.
DriverCatalog parse_catalog(const std::string& text, const std::string& name);
/// drivers/catalog.json as built into the binary.
DriverCatalog builtin_catalog();
/// A catalog file (--catalog).
DriverCatalog load_catalog(const std::string& path);

}  // namespace dagda::windows::inoculate
