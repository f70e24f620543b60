#include "disk/Committer.hpp"

#include "core/Error.hpp"
#include "core/UniqueFd.hpp"
#include "disk/LayoutReader.hpp"
#include "disk/PartitionTypes.hpp"
#include "disk/SfdiskJson.hpp"
#include "disk/TableWriter.hpp"
#include "disk/sys/Parted.hpp"

#include <fcntl.h>

#include <optional>

namespace dagda::disk {

namespace {

// The target must still be the disk the plan was made for (a hot-swapped disk reuses names).
void require_same_target(const Plan& plan) {
    const TargetInfo now = probe_target(plan.target.path);
    if (now.size_bytes != plan.target.size_bytes || now.serial != plan.target.serial || now.wwn != plan.target.wwn ||
        now.devno != plan.target.devno || now.logical_sector_size != plan.target.logical_sector_size)
        throw Error(ErrorKind::refused, "refusing to write " + plan.target.path +
                                            ": the disk changed since the plan was made (now " + describe(now) + ")");
}

void verify(const Plan& plan) {
    const auto found = read_layout(plan.target);
    if (!found) throw Error(ErrorKind::failed, "verification failed: no partition table found on " + plan.target.path);
    Layout expected = plan.layout;
    // A layout that leaves gpt's usable range open gets libparted's; compare the rest exactly.
    if (!expected.first_lba) expected.first_lba = found->first_lba;
    if (!expected.last_lba) expected.last_lba = found->last_lba;
    const std::string want = to_sfdisk_json(expected, true);
    const std::string got = to_sfdisk_json(*found, true);
    if (want != got)
        throw Error(ErrorKind::failed, "verification failed: the table read back from " + plan.target.path +
                                           " differs from the plan.\nplanned:\n" + want + "read back:\n" + got);
}

}  // namespace

std::vector<std::string> commit_plan(const Plan& plan, const ActionObserver& on_action) {
    require_same_target(plan);
    sys::PartedMessages messages;
    sys::PartedDevice device(plan.target.path);
    std::optional<sys::PartedDisk> disk;
    std::string kernel_warning;
    for (const Action& action : plan.actions) {
        if (on_action) on_action(action);
        switch (action.kind) {
        case ActionKind::create_table:
            disk.emplace(device, plan.layout.label == TableKind::dos ? "msdos" : "gpt", messages);
            break;
        case ActionKind::create_partition: {
            const PartitionSpec& part = *action.partition;
            const sys::PartitionKind kind = is_extended(plan.layout.label, part.type) ? sys::PartitionKind::extended
                                            : part.number >= first_logical_number && plan.layout.label == TableKind::dos
                                                ? sys::PartitionKind::logical
                                                : sys::PartitionKind::primary;
            disk->add_partition(kind, part.start, part.end() - 1, part.bootable);
            break;
        }
        case ActionKind::write_table: {
            disk->commit_to_device();
            const UniqueFd fd = UniqueFd::open(plan.target.path, O_RDWR);
            write_table_identity(fd.get(), plan.layout, plan.target);
            break;
        }
        case ActionKind::write_boot_code: {
            const UniqueFd fd = UniqueFd::open(plan.target.path, O_RDWR);
            write_boot_code(fd.get(), plan.boot_code, plan.target);
            break;
        }
        case ActionKind::write_first_track: {
            const UniqueFd fd = UniqueFd::open(plan.target.path, O_RDWR);
            write_first_track(fd.get(), plan.layout, plan.first_track, plan.target);
            break;
        }
        case ActionKind::verify:
            verify(plan);
            // Only now tell the kernel: it then sees the final table, not libparted's draft. An
            // image file has no kernel partitions (and libparted would shell out to udevadm).
            // The table on disk is already written and verified, so failing here is a warning.
            // The kernel must get the final table: libparted's draft numbers its partitions in
            // the order they were added, which differs from the layout's when slots have gaps.
            if (plan.target.is_block_device && !sys::PartedDisk(device, messages).commit_to_os())
                kernel_warning = "the kernel was not told about the new partitions on " + plan.target.path +
                                 "; run partprobe or reboot before using them";
            break;
        }
    }
    std::vector<std::string> warnings = messages.messages();
    if (!kernel_warning.empty()) warnings.push_back(kernel_warning);
    return warnings;
}

}  // namespace dagda::disk
