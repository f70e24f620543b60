#pragma once
/// `dagda fixup-boot` as data: what a restore onto another disk broke, found by reading the disk,
/// listed (plan_boot_fixup) and then written (apply_boot_fixup).
///  - each NTFS boot sector (and its backup at the volume's end) whose hidden sectors or geometry
///    do not match where the partition now starts: BIOS boot reads them to find BOOTMGR/NTLDR;
///  - MountedDevices in each Windows' SYSTEM hive, so C: stays C:;
///  - the device elements of each BCD store (BIOS: \Boot\BCD on an NTFS partition; UEFI:
///    \EFI\Microsoft\Boot\BCD on the FAT EFI system partition), so the boot manager finds the
///    system.

#include "disk/Layout.hpp"
#include "windows/boot/DiskMove.hpp"
#include "windows/boot/NtfsBootSector.hpp"
#include "windows/registry/RegistryEdit.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dagda::windows::boot {

struct BootSectorFix {
    unsigned partition = 0;
    std::uint64_t disk_offset = 0;  ///< where the sector is on the disk, in bytes
    std::string which;              ///< "boot sector" or "backup boot sector"
    DiskGeometry geometry;          ///< the geometry the changes record
    std::vector<BootSectorChange> changes;
};

struct HiveFix {
    unsigned partition = 0;
    std::string path;   ///< on the partition's volume: "/Windows/System32/config/SYSTEM", "/Boot/BCD"
    std::string label;  ///< "SYSTEM" or "BCD"
    bool on_fat = false;  ///< on the FAT EFI system partition (mtools), else on NTFS (libntfs-3g)
    std::vector<registry::RegistryEdit> edits;
};

struct BootFixupPlan {
    std::vector<BootSectorFix> sectors;
    std::vector<HiveFix> hives;
    std::vector<std::string> notes;  ///< what was looked at and left alone, warnings

    bool empty() const { return sectors.empty() && hives.empty(); }
    /// Future tense, one change per line.
    std::string text() const;
};

/// Reads the disk `device` open on `fd` (laid out as `layout`) and plans the fix-ups for `move`.
/// Hidden sectors are set to each NTFS partition's start wherever they differ; the BIOS geometry
/// is rewritten (to `geometry`, or 255 × 63) only in volumes whose partition moved, or everywhere
/// when `geometry` is given. Throws
/// Error{refused} when a volume that needs a hive edit cannot be edited safely (BitLocker, dirty,
/// hibernated; a dirty hive with logs), naming it; nothing is written.
BootFixupPlan plan_boot_fixup(int fd, const std::string& device, const disk::Layout& layout, const DiskMove& move,
                              std::optional<DiskGeometry> geometry = std::nullopt);

/// Writes the plan: boot sectors (read back), then each hive through a read-write NTFS mount
/// (saved safely). `said` receives each change as done.
void apply_boot_fixup(int fd, const std::string& device, const disk::Layout& layout, const BootFixupPlan& plan,
                      const std::function<void(const std::string&)>& said);

}  // namespace dagda::windows::boot
