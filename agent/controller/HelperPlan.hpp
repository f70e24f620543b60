#pragma once
/// The plans of a recovery to a new VM (docs/vm-recovery.md). Helper mode: one plan for the
/// helper VM's agent covering every disk of the server, each disk named by the serial number the
/// controller gave its volume (never by a /dev name), its archive by a URL of this job's own
/// grant, ending with the helper powering off. Both modes: a test copy's Windows renamed.

#include "controller/ArchiveStore.hpp"
#include "controller/Store.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace dagda::controller {

/// Where the live image puts the settings CD's dagda/drivers/ (initramfs/init): the helper's plan
/// inoculates from there when the recovery was given vendor drivers.
inline constexpr const char* helper_drivers_folder = "/run/dagda-drivers";

/// The helper's plan for the recovery `recovery_id` of `order` (VmRecoveryOrder), named for it
/// (the same name on every call), its disks found in the helper agent's `inventory` by serial; `grant` gets the key and the chain files the plan may read (named
/// SERVER/FILE in the archive folder). An order from the archive store's bucket ("store":
/// "bucket") reads `bucket` instead: the plan names pre-signed URLs, as the helper reaches the store,
/// lasting `url_lifetime`, and its "archive_urls" hold its chains' (the grant stays empty).
/// Throws Error naming a disk the helper does not see or an archive that cannot be read.
nlohmann::json helper_plan(const std::string& recovery_id, const nlohmann::json& order, const nlohmann::json& inventory, const std::string& archives_dir,
                           const std::string& files_url, FileGrant& grant, ArchiveStore* bucket = nullptr,
                           std::chrono::seconds url_lifetime = std::chrono::hours(24));

/// The helper's plan for one disk of a push button (PushButtonOrder), its replica volume (or its
/// copy) found in the helper agent's `inventory` by the serial it is attached under: `part`
/// "boot" (the partition table where it has none, the NTFS boot sectors), "inoculate" (drivers and
/// registry, the services to turn off), each in place under an undo journal kept on the disk's
/// journal volume (its journal_serial, by its /dev/disk/by-id name); or "undo" (that journal put back). Nothing is restored: the replica holds the generation's volumes already.
nlohmann::json replica_helper_plan(const std::string& recovery_id, const nlohmann::json& order, std::size_t disk, const std::string& part,
                                   const nlohmann::json& inventory, const std::string& archives_dir, const std::string& files_url, FileGrant& grant,
                                   ArchiveStore* bucket = nullptr, std::chrono::seconds url_lifetime = std::chrono::hours(24));

/// The helper's plan backing up a push button's frozen replica (its volumes found by serial): one
/// image.capture per disk, an incremental on `bases[i]` (the newest file of disk i's chain in the
/// server's folder), uploaded to the controller as the file the order names for that disk; the
/// grant reads those chains and uploads those files. An order from a bucket reads its bases from
/// there, as helper_plan does; its uploads go through the controller into the bucket.
nlohmann::json backup_helper_plan(const std::string& recovery_id, const nlohmann::json& order, const nlohmann::json& bases, const nlohmann::json& inventory,
                                  const std::string& archives_dir, const std::string& files_url, FileGrant& grant, ArchiveStore* bucket = nullptr,
                                  std::chrono::seconds url_lifetime = std::chrono::hours(24));

/// `plan` with a windows.set_identity step (the new computer name, static NICs on DHCP) before
/// each windows.inoculate: a test copy that can run beside the original.
nlohmann::json with_new_identity(nlohmann::json plan, const std::string& computer_name);

}  // namespace dagda::controller
