#include "windows/boot/BootFixup.hpp"

#include "core/Error.hpp"
#include "core/UniqueFd.hpp"
#include "windows/boot/BcdDevices.hpp"
#include "windows/boot/MountedDevices.hpp"
#include "windows/fat/EspVolume.hpp"
#include "windows/ntfs/EditableVolume.hpp"
#include "windows/ntfs/NtfsEditor.hpp"
#include "windows/system/OfflineHive.hpp"
#include "windows/system/WindowsInstall.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

namespace dagda::windows::boot {

namespace {

using Sector = std::array<std::uint8_t, ntfs_boot_sector_size>;

bool is_ntfs(const Sector& sector) { return std::memcmp(sector.data() + 3, "NTFS    ", 8) == 0; }

std::string partition_name(const std::string& name, unsigned number) { return name + " partition " + std::to_string(number); }

/// The hives of one NTFS volume that a fix-up may edit: each Windows' SYSTEM and a BIOS BCD store.
std::vector<std::pair<std::string, std::string>> hives_on(const ntfs::NtfsVolume& volume) {
    std::vector<std::pair<std::string, std::string>> hives;
    try {
        hives.emplace_back(system::find_system_root(volume) + "/System32/config/SYSTEM", "SYSTEM");
    } catch (const Error&) {
        // no Windows on this volume: a System Reserved or data partition
    }
    if (ntfs::file_size(volume, "/Boot/BCD")) hives.emplace_back(*ntfs::find_path(volume, "/Boot/BCD"), "BCD");
    return hives;
}

/// The geometry to record: the one asked for; else, for a volume that moved, 255 × 63; else the
/// one the volume has (a volume that stayed keeps what its BIOS was set up with).
DiskGeometry geometry_for(const NtfsBootSector& bpb, bool moved, std::optional<DiskGeometry> asked) {
    if (asked) return *asked;
    const bool valid = bpb.heads >= 1 && bpb.heads <= 255 && bpb.sectors_per_track >= 1 && bpb.sectors_per_track <= 63;
    if (moved || !valid) return DiskGeometry{};
    return DiskGeometry{bpb.heads, bpb.sectors_per_track};
}

void plan_sectors(int fd, const std::string& name, const disk::PartitionSpec& part, unsigned sector_size, const Sector& boot,
                  DiskGeometry geometry, BootFixupPlan& plan) {
    const std::uint64_t start = part.start * sector_size;
    if (part.start > 0xFFFFFFFFu) {
        // The BPB's 32-bit hidden-sectors field cannot name it; BIOS cannot boot it anyway.
        plan.notes.push_back("note: " + partition_name(name, part.number) + " starts past sector 2^32; its boot sector is left alone");
        return;
    }
    auto changes = plan_boot_sector_fix(boot, part.start, geometry);
    if (!changes.empty()) plan.sectors.push_back({part.number, start, "boot sector", geometry, std::move(changes)});
    const std::uint64_t backup = parse_ntfs_boot_sector(boot).backup_offset();
    if (backup + ntfs_boot_sector_size > part.size * sector_size) {
        plan.notes.push_back("note: " + partition_name(name, part.number) + ": the backup boot sector lies past the partition's end; left alone");
        return;
    }
    Sector copy{};
    read_exact(fd, copy.data(), copy.size(), start + backup, partition_name(name, part.number));
    if (!is_ntfs(copy)) {
        plan.notes.push_back("warning: " + partition_name(name, part.number) + " has no valid backup boot sector; left alone");
        return;
    }
    auto backup_changes = plan_boot_sector_fix(copy, part.start, geometry);
    if (!backup_changes.empty()) plan.sectors.push_back({part.number, start + backup, "backup boot sector", geometry, std::move(backup_changes)});
}

constexpr const char* uefi_bcd = "/EFI/Microsoft/Boot/BCD";
constexpr std::uint64_t largest_store = 64ull << 20;

/// The UEFI BCD store of a FAT partition with its logs, opened for planning or editing.
std::unique_ptr<system::OfflineHive> esp_store(const fat::EspVolume& esp, bool for_editing) {
    const auto bytes = esp.read_file(uefi_bcd, largest_store);
    if (!bytes) return nullptr;
    std::vector<registry::HiveLog> logs;
    for (const char* suffix : {".LOG", ".LOG1", ".LOG2"})
        if (const auto log = esp.read_file(std::string(uefi_bcd) + suffix, largest_store)) logs.push_back({uefi_bcd + std::string(suffix), log->size()});
    return std::make_unique<system::OfflineHive>(*bytes, logs, esp.name(), uefi_bcd, "BCD", for_editing);
}

}  // namespace

std::string BootFixupPlan::text() const {
    std::string out;
    for (const BootSectorFix& fix : sectors)
        for (const BootSectorChange& change : fix.changes)
            out += "  partition " + std::to_string(fix.partition) + " " + fix.which + ": " + change.describe() + "\n";
    for (const HiveFix& fix : hives)
        for (const registry::RegistryEdit& edit : fix.edits)
            out += "  partition " + std::to_string(fix.partition) + " " + fix.path + ": " + edit.describe(fix.label) + "\n";
    if (empty()) out += "  nothing to fix: boot sectors, MountedDevices and BCD already match this disk\n";
    for (const std::string& note : notes) out += "  " + note + "\n";
    return out;
}

BootFixupPlan plan_boot_fixup(int fd, const std::string& device, const disk::Layout& layout, const DiskMove& move,
                              std::optional<DiskGeometry> geometry) {
    const std::string& name = device;
    BootFixupPlan plan;
    for (const disk::PartitionSpec& part : layout.partitions) {
        const std::string where = partition_name(name, part.number);
        Sector boot{};
        read_exact(fd, boot.data(), boot.size(), part.start * layout.sector_size, where);
        if (fat::is_fat_boot_sector(boot.data())) {
            const fat::EspVolume esp(device, part.start * layout.sector_size, where);
            const auto store = esp_store(esp, true);
            if (!store) continue;
            if (!store->warning().empty()) plan.notes.push_back(store->warning());
            auto edits = registry::effective_edits(store->hive(), plan_bcd_devices(store->hive(), move));
            if (!edits.empty()) plan.hives.push_back({part.number, uefi_bcd, "BCD", true, std::move(edits)});
            continue;
        }
        if (std::memcmp(boot.data() + 3, "-FVE-FS-", 8) == 0) {
            plan.notes.push_back("warning: " + where + " is BitLocker-encrypted; its boot sector, MountedDevices and BCD cannot be checked");
            continue;
        }
        if (!is_ntfs(boot)) continue;
        bool moved = false;
        for (const PartitionMove& partition : move.partitions())
            if (partition.number == part.number) moved = partition.before.style == disk::TableKind::dos
                                                            ? partition.before.offset != partition.after.offset
                                                            : partition.changes();
        plan_sectors(fd, name, part, layout.sector_size, boot, geometry_for(parse_ntfs_boot_sector(boot), moved, geometry), plan);
        const std::uint64_t offset = part.start * layout.sector_size, size = part.size * layout.sector_size;
        const ntfs::NtfsVolume volume(fd, offset, size, where, ntfs::Access::read_only);
        for (const auto& [path, label] : hives_on(volume)) {
            const system::OfflineHive hive(volume, path, label, true);
            if (!hive.warning().empty()) plan.notes.push_back(hive.warning());
            std::vector<registry::RegistryEdit> edits =
                label == "BCD" ? plan_bcd_devices(hive.hive(), move) : plan_mounted_devices(hive.hive(), move);
            edits = registry::effective_edits(hive.hive(), edits);
            if (edits.empty()) continue;
            // Editing needs a volume Windows closed cleanly: refuse now, before anything is written.
            ntfs::open_for_editing(fd, offset, size, where, {false, true});
            plan.hives.push_back({part.number, path, label, false, std::move(edits)});
        }
    }
    return plan;
}

void apply_boot_fixup(int fd, const std::string& device, const disk::Layout& layout, const BootFixupPlan& plan,
                      const std::function<void(const std::string&)>& said) {
    const std::string& name = device;
    for (const BootSectorFix& fix : plan.sectors) {
        const std::string where = partition_name(name, fix.partition) + " " + fix.which;
        const auto part = std::find_if(layout.partitions.begin(), layout.partitions.end(),
                                       [&](const auto& p) { return p.number == fix.partition; });
        Sector sector{};
        read_exact(fd, sector.data(), sector.size(), fix.disk_offset, where);
        apply_boot_sector_fix(sector, part->start, fix.geometry);
        write_exact(fd, sector.data(), sector.size(), fix.disk_offset, where);
        Sector check{};
        read_exact(fd, check.data(), check.size(), fix.disk_offset, where);
        if (check != sector) throw Error(ErrorKind::failed, where + " does not read back as written");
        for (const BootSectorChange& change : fix.changes) said(where + ": " + change.describe());
    }
    for (const HiveFix& fix : plan.hives) {
        const auto part = std::find_if(layout.partitions.begin(), layout.partitions.end(),
                                       [&](const auto& p) { return p.number == fix.partition; });
        const std::string where = partition_name(name, fix.partition);
        if (fix.on_fat) {
            fat::EspVolume esp(device, part->start * layout.sector_size, where);
            const auto store = esp_store(esp, true);
            if (!store) throw Error(ErrorKind::failed, where + ": " + fix.path + " is gone");
            registry::apply_edits(store->hive(), fix.edits);
            esp.replace_file_safely(fix.path, store->committed());
            for (const registry::RegistryEdit& edit : fix.edits) said(where + " " + fix.path + ": " + edit.describe(fix.label));
            continue;
        }
        const auto volume = ntfs::open_for_editing(fd, part->start * layout.sector_size, part->size * layout.sector_size, where, {});
        system::OfflineHive hive(*volume, fix.path, fix.label, true);
        registry::apply_edits(hive.hive(), fix.edits);
        hive.save(*volume);
        volume->close();
        for (const registry::RegistryEdit& edit : fix.edits) said(where + " " + fix.path + ": " + edit.describe(fix.label));
    }
}

}  // namespace dagda::windows::boot
