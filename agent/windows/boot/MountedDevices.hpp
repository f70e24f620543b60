#pragma once
/// The SYSTEM hive's MountedDevices key after a restore onto another disk.
///
/// MountedDevices (at the hive's root, not per control set) maps drive letters
/// (`\DosDevices\C:`) and volume names (`\??\Volume{…}`) to partitions. Its REG_BINARY values
/// name a partition of a basic disk in one of two ways:
/// - MBR, 12 bytes: the disk signature (u32 LE) then the partition's start in bytes (u64 LE);
/// - GPT, 24 bytes: ASCII "DMIO:ID:" then the partition's unique GUID in Windows' byte order.
/// Other values (CD-ROM and USB device paths in UTF-16) name no partition and are left alone.
/// When the identities change, every value naming an old partition must name the new one, or
/// Windows gives the system volume another letter at boot (logon breaks, not a 0x7B).
/// Pure planning: reads a hive, returns edits; no I/O, no logging.

#include "windows/boot/DiskMove.hpp"
#include "windows/registry/Hive.hpp"
#include "windows/registry/RegistryEdit.hpp"
#include "windows/registry/RegistryValue.hpp"

#include <optional>
#include <vector>

namespace dagda::windows::boot {

/// The key below the SYSTEM hive's root.
inline constexpr const char* mounted_devices_key = "MountedDevices";

/// The partition a MountedDevices value names: an MBR identity (signature and offset) or, for
/// GPT, an identity whose partition GUID alone is set (the value holds no disk GUID). nullopt for
/// a value of another type or form (device paths, dynamic disks).
std::optional<PartitionIdentity> decode_mounted_device(const registry::RegistryValue& value);

/// The REG_BINARY value naming `partition`: 12 bytes for MBR, "DMIO:ID:" + GUID for GPT.
registry::RegistryValue encode_mounted_device(const PartitionIdentity& partition);

/// One set_value edit for every value under MountedDevices that names a partition of the old
/// disk whose identity changes, giving its new identity; other values are untouched. Empty when
/// the hive has no MountedDevices key (a freshly generalized system) or nothing names the old
/// disk. Pass the result through effective_edits() to fill in the old values for a plan.
std::vector<registry::RegistryEdit> plan_mounted_devices(const registry::Hive& system, const DiskMove& move);

}  // namespace dagda::windows::boot
