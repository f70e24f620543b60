#pragma once
/// The second half of writing a table: after libparted has created the table and partitions,
/// set the exact identity fields the layout asks for (see OnDiskTable.hpp for why).

#include "disk/Layout.hpp"
#include "disk/Target.hpp"

#include <cstdint>
#include <vector>

namespace dagda::disk {

/// Rewrites, on the open target `fd`, what libparted 3.5 cannot set: dos type bytes, 255×63 CHS
/// values and the disk signature; gpt type and partition GUIDs, names, attribute bits, disk GUID,
/// first/last usable sector, both headers and entry arrays with their CRCs. First checks that
/// libparted placed exactly the partitions the layout names; throws Error{failed} otherwise.
/// Syncs the device before returning.
void write_table_identity(int fd, const Layout& layout, const TargetInfo& target);

/// Writes the 440 bytes of MBR boot code (sector 0; the protective MBR on gpt) and syncs.
void write_boot_code(int fd, const std::vector<std::uint8_t>& boot_code, const TargetInfo& target);

/// Writes what the source's first track `track` holds outside the new table: sector 0's bytes
/// 444-445 (reserved, zero on most disks, kept as the source had them) and the boot-loader gap
/// (first_track_gap), and syncs.
void write_first_track(int fd, const Layout& layout, const std::vector<std::uint8_t>& track, const TargetInfo& target);

}  // namespace dagda::disk
