#pragma once
/// Device elements of a BCD store after a restore onto another disk.
///
/// A BCD store is a registry hive (BIOS: `\Boot\BCD` on the active partition; UEFI:
/// `\EFI\Microsoft\Boot\BCD` on the ESP). Each object is `Objects\{guid}` and each of its
/// elements `Elements\<8 hex digits>` with one value `Element`. An element id whose format
/// nibble (bits 24..27) is 1 holds a device as REG_BINARY (11000001 device, 21000001 osdevice or
/// hiberfile device, 31000003 ramdisk SDI device):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0x00 | 16 | GUID of an options object, zero when none (a ramdisk names its options here) |
/// | 0x10 | 16 | descriptor header: u32 device type, u32 flags, u32 size (from 0x10), u32 0 |
/// | 0x20 | …  | the device type's payload |
///
/// A partition descriptor (type 6) is 0x48 bytes; from its start:
///
/// | offset | size | MBR | GPT |
/// |---|---|---|---|
/// | 0x10 | 16 | u64 LE partition start in bytes, 8 zero | partition unique GUID |
/// | 0x20 | 4  | 0 (local hard disk) | 0 |
/// | 0x24 | 4  | partition style 1 | 0 |
/// | 0x28 | 16 | u32 LE disk signature, 12 zero | disk GUID |
/// | 0x38 | 16 | zero | zero |
///
/// A file-backed device (`ramdisk=[C:]\x.wim`, `vhd=[C:]\x.vhd`) names its partition inside a
/// larger descriptor: after the outer device's own fields comes a file path descriptor
/// (u32 version 1, u32 length to the end of the outer descriptor, u32 path type 5), then the
/// descriptor of the device holding the file (a partition, or the boot device), then the path
/// in UTF-16. Both forms are decoded and rewritten here. Devices that name no partition by its
/// identity (boot, locate by element, ramdisk on the boot device, legacy partitions by number)
/// are reported and left alone.
///
/// References: ReactOS boot/environ/include/bl.h (BL_DEVICE_DESCRIPTOR, BL_FILE_PATH_DESCRIPTOR),
/// mistyprojects.co.uk BCDEdit device pages, and the bcdedit-made stores in shared/fixtures/bcd.
/// Pure code: reads a hive, returns edits; no I/O, no logging.

#include "windows/boot/DiskMove.hpp"
#include "windows/registry/Hive.hpp"
#include "windows/registry/RegistryEdit.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace dagda::windows::boot {

/// Device types of a descriptor header (BL_DEVICE_DESCRIPTOR.DeviceType).
enum class DeviceType : std::uint32_t {
    disk = 0,  ///< a local disk of some kind: hard disk, ramdisk, virtual disk (VHD)
    legacy_partition = 2,
    serial = 3,
    udp = 4,
    boot = 5,  ///< "boot": whatever device the boot manager itself came from
    partition = 6,
    locate = 8,
};

/// Size in bytes of a partition descriptor (header included), and of a whole `partition=`
/// element (options GUID plus the descriptor).
inline constexpr std::size_t partition_descriptor_size = 0x48;
inline constexpr std::size_t partition_element_size = 0x10 + partition_descriptor_size;

/// True when a BCD element id has the device format (format nibble 1).
bool is_device_element(std::uint32_t element_id);

/// A partition named inside a device element, and where its descriptor starts (0x10 for a
/// plain `partition=` element; further in for a file on a partition).
struct PartitionReference {
    std::size_t offset = 0;
    PartitionIdentity partition;
};

/// A device element decoded far enough to find the partitions it names.
struct DeviceElement {
    GuidBytes options{};         ///< the options object's GUID; zero when none
    std::uint32_t type = 0;      ///< the outer device type (DeviceType, or an unknown number)
    /// The devices from the outermost in, as words ("ramdisk", "partition", "boot device"): one
    /// for a plain device, more when a file on one device is the next one.
    std::vector<std::string> chain;
    std::vector<PartitionReference> partitions;  ///< partitions named by identity, outermost first

    /// "ramdisk holding a file on partition (MBR disk 0x43da9ab1, byte offset 525336576)".
    std::string describe() const;
};

/// Decodes a device element's value. Throws Error{failed} when it is truncated: shorter than a
/// descriptor header, or shorter than the size its descriptor (or a nested one) declares.
DeviceElement parse_device_element(std::span<const std::uint8_t> element);

/// The 88 bytes of a `partition=` element naming `partition`, with `options` at 0x00.
std::vector<std::uint8_t> encode_partition_element(const PartitionIdentity& partition, const GuidBytes& options = {});

/// `element` with the partition descriptor at `offset` naming `partition` instead; every other
/// byte is kept. Throws Error{failed} when no partition descriptor of the known form is there,
/// or when `partition` has another partition style than the descriptor.
std::vector<std::uint8_t> rewrite_partition(std::span<const std::uint8_t> element, std::size_t offset,
                                            const PartitionIdentity& partition);

/// One device element of a store.
struct BcdDeviceEntry {
    std::string key;               ///< "Objects\{…}\Elements\11000001", below the store's root
    std::uint32_t element_id = 0;
    std::vector<std::uint8_t> bytes;
    DeviceElement device;
};

/// Every device element of every object in a BCD store, in the hive's order. Throws
/// Error{failed} naming the element when one is not REG_BINARY or is truncated, and when the
/// hive has no `Objects` key (it is not a BCD store).
std::vector<BcdDeviceEntry> list_bcd_devices(const registry::Hive& bcd);

/// One set_value edit for every device element naming a partition of the old disk whose
/// identity changes (directly or as the holder of a ramdisk or VHD file), with every such
/// partition renamed for the new disk. Other elements are untouched. Throws as list_bcd_devices.
std::vector<registry::RegistryEdit> plan_bcd_devices(const registry::Hive& bcd, const DiskMove& move);

}  // namespace dagda::windows::boot
