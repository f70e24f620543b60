#include "disk/sys/Parted.hpp"

#include "core/Error.hpp"

#include <parted/parted.h>

namespace dagda::disk::sys {

namespace {

// libparted's handler takes no user data: it reaches the PartedMessages alive on its thread
// through this pointer, which that object sets and clears. The messages live in the object.
thread_local PartedMessages* current_messages = nullptr;

extern "C" PedExceptionOption record_exception(PedException* ex) {
    try {
        if (current_messages) current_messages->record(ex->message ? ex->message : "(no message)");
    } catch (...) {
        // Out of memory while recording: nothing may escape into libparted's C frames.
    }
    const bool warning = ex->type == PED_EXCEPTION_INFORMATION || ex->type == PED_EXCEPTION_WARNING;
    if (warning && (ex->options & PED_EXCEPTION_IGNORE)) return PED_EXCEPTION_IGNORE;
    if (ex->options & PED_EXCEPTION_CANCEL) return PED_EXCEPTION_CANCEL;
    return PED_EXCEPTION_UNHANDLED;
}

PedDevice* dev(void* handle) { return static_cast<PedDevice*>(handle); }
PedDisk* disk(void* handle) { return static_cast<PedDisk*>(handle); }

}  // namespace

PartedMessages::PartedMessages() {
    if (current_messages) throw Error(ErrorKind::failed, "libparted's messages are recorded once at a time on a thread");
    current_messages = this;
    ped_exception_set_handler(record_exception);
}

PartedMessages::~PartedMessages() {
    ped_exception_set_handler(nullptr);
    current_messages = nullptr;
}

void PartedMessages::record(std::string message) { messages_.push_back(std::move(message)); }

std::string PartedMessages::summary() const {
    if (messages_.empty()) return "libparted gave no reason";
    std::string text = "libparted: ";
    for (std::size_t i = 0; i < messages_.size(); ++i) text += (i ? "; " : "") + messages_[i];
    return text;
}

PartedDevice::PartedDevice(const std::string& path) : device_(ped_device_get(path.c_str())), path_(path) {
    if (!device_) throw Error(ErrorKind::failed, "libparted cannot open " + path);
}

PartedDevice::~PartedDevice() {
    // destroy, not just close: libparted caches devices, and a stale entry would keep old geometry
    ped_device_destroy(dev(device_));
}

PartedDisk::PartedDisk(PartedDevice& device, const char* label, PartedMessages& messages)
    : disk_(nullptr), device_(device), messages_(messages) {
    const PedDiskType* type = ped_disk_type_get(label);
    if (!type) throw Error(ErrorKind::failed, std::string("libparted has no '") + label + "' label type");
    disk_ = ped_disk_new_fresh(dev(device.handle()), type);
    if (!disk_) throw Error(ErrorKind::failed, "cannot create a " + std::string(label) + " table on " + device.path() + ": " + messages.summary());
}

PartedDisk::PartedDisk(PartedDevice& device, PartedMessages& messages)
    : disk_(ped_disk_new(dev(device.handle()))), device_(device), messages_(messages) {
    if (!disk_) throw Error(ErrorKind::failed, "libparted cannot read the table on " + device.path() + ": " + messages.summary());
}

PartedDisk::~PartedDisk() { ped_disk_destroy(disk(disk_)); }

void PartedDisk::add_partition(PartitionKind kind, std::uint64_t start, std::uint64_t end_inclusive, bool boot_flag) {
    const PedPartitionType type = kind == PartitionKind::extended  ? PED_PARTITION_EXTENDED
                                  : kind == PartitionKind::logical ? PED_PARTITION_LOGICAL
                                                                   : PED_PARTITION_NORMAL;
    PedPartition* part = ped_partition_new(disk(disk_), type, nullptr, static_cast<PedSector>(start),
                                           static_cast<PedSector>(end_inclusive));
    const std::string where = "partition at sectors " + std::to_string(start) + "-" + std::to_string(end_inclusive);
    if (!part) throw Error(ErrorKind::failed, "libparted cannot make " + where + ": " + messages_.summary());
    PedConstraint* exact = ped_constraint_exact(&part->geom);
    const int added = exact ? ped_disk_add_partition(disk(disk_), part, exact) : 0;
    if (exact) ped_constraint_destroy(exact);
    if (!added) {
        ped_partition_destroy(part);
        throw Error(ErrorKind::failed, "libparted refused " + where + ": " + messages_.summary());
    }
    if (boot_flag && !ped_partition_set_flag(part, PED_PARTITION_BOOT, 1))
        throw Error(ErrorKind::failed, "libparted cannot set the boot flag on " + where + ": " + messages_.summary());
}

void PartedDisk::commit_to_device() {
    if (!ped_disk_commit_to_dev(disk(disk_)))
        throw Error(ErrorKind::failed, "libparted could not write the table to " + device_.path() + ": " + messages_.summary());
}

bool PartedDisk::commit_to_os() { return ped_disk_commit_to_os(disk(disk_)) != 0; }

}  // namespace dagda::disk::sys
