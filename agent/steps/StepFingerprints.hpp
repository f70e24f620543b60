#pragma once
/// What a step left on a plan's disk, read back cheaply for the journal (jobs::StepSpec::
/// fingerprint, docs/journal-format.md): a rerun trusts a finished step only while its disk still
/// holds this. Each fingerprint is of something no later step of a plan changes, and none names a
/// /dev path (it may change across the reboot a job resumes after). Each is a JSON object with
/// "what", a short text for the operator ("a dos table 0x43da9ab1 with 2 partitions").

#include "steps/PlanDisks.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <vector>

namespace dagda::steps {

/// disk.apply_layout: the table's kind and id (MBR disk signature, GPT disk GUID) and a digest of
/// its entries as read back (sfdisk JSON, without boot code and device names).
nlohmann::json table_fingerprint(const PlanDisk& disk);

/// What identifies each volume of `partitions` (all of the table's when nullopt): an NTFS or FAT
/// boot sector (serial, cluster and MFT layout), else the digest of its first 4 KiB. With
/// `boot_fields` false the BIOS geometry and hidden-sectors fields (0x18-0x1F), which
/// windows.fixup_boot rewrites, and NTFS's total sectors (0x28-0x2F, which growing the volume
/// into its partition changes) are left out: image.restore and the in-place Windows steps.
nlohmann::json volumes_fingerprint(const PlanDisk& disk, const std::optional<std::vector<unsigned>>& partitions, bool boot_fields);

/// The in-place Windows steps (inoculate, set_identity, restore_files): the volume they edited,
/// as it begins (the partition named, else every partition: finding the Windows one would mean
/// mounting each NTFS volume). Their edits inside it are not fingerprinted: that would cost a
/// read of the registry; the volume's identity tells a fresh or another disk.
nlohmann::json windows_fingerprint(const PlanDisk& disk, std::optional<unsigned> partition);

}  // namespace dagda::steps
