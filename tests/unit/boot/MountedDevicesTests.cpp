// MountedDevices rewritten for a new disk: the real Windows 8.1 SYSTEM hive (MBR) and a GPT one
// built on hivex's minimal hive, checked with hivexget.
#include "windows/boot/MountedDevices.hpp"

#include "HiveCheck.hpp"
#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace dagda::windows::boot;
using namespace dagda::windows::registry;
using dagda::disk::Layout;
using dagda::disk::PartitionSpec;
using dagda::disk::TableKind;
namespace testing = dagda::testing;

namespace {

Layout layout(TableKind label, std::string id, std::vector<std::pair<std::uint64_t, std::string>> starts) {
    Layout out;
    out.label = label;
    out.id = std::move(id);
    unsigned number = 0;
    for (const auto& [start, uuid] : starts) {
        PartitionSpec spec;
        spec.number = ++number;
        spec.start = start;
        spec.size = 100000;
        spec.type = label == TableKind::dos ? std::string("7") : std::string("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7");
        if (!uuid.empty()) spec.uuid = uuid;
        out.partitions.push_back(spec);
    }
    return out;
}

std::vector<std::string> sorted(std::vector<std::string> names) {
    std::sort(names.begin(), names.end());
    return names;
}

std::vector<std::string> edited_names(const std::vector<RegistryEdit>& edits) {
    std::vector<std::string> names;
    for (const RegistryEdit& edit : edits) names.push_back(edit.value_name);
    return sorted(names);
}

std::string bytes(std::initializer_list<unsigned> values) {
    std::string out;
    for (const unsigned v : values) out += static_cast<char>(v);
    return out;
}

const std::string c_drive = "\\DosDevices\\C:";
const std::string system_reserved = "\\??\\Volume{a08efec2-a076-11e5-824f-806e6f6e6963}";
const std::string windows_volume = "\\??\\Volume{a08efec3-a076-11e5-824f-806e6f6e6963}";
const std::string cdrom_volume = "\\??\\Volume{a08efec7-a076-11e5-824f-806e6f6e6963}";
const std::string d_drive = "\\DosDevices\\D:";

}  // namespace

TEST_CASE("MountedDevices: values decode to the partitions they name", "[boot][mounteddevices]") {
    const auto mbr = decode_mounted_device(RegistryValue::binary({0xfe, 0x4c, 0x3e, 0x27, 0x00, 0x00, 0xf0, 0x15, 0, 0, 0, 0}));
    REQUIRE(mbr);
    CHECK(mbr->style == TableKind::dos);
    CHECK(mbr->disk_signature == 0x273e4cfeu);
    CHECK(mbr->offset == 0x15f00000u);
    CHECK(encode_mounted_device(*mbr).data == std::vector<std::uint8_t>{0xfe, 0x4c, 0x3e, 0x27, 0x00, 0x00, 0xf0, 0x15, 0, 0, 0, 0});

    std::vector<std::uint8_t> gpt{'D', 'M', 'I', 'O', ':', 'I', 'D', ':', 0x21, 0x1f, 0x93, 0x09, 0xaf, 0x7f,
                                  0xa9, 0x44, 0x81, 0xd8, 0x1e, 0x73, 0xc1, 0x4b, 0x9e, 0xaf};
    const auto named = decode_mounted_device(RegistryValue::binary(gpt));
    REQUIRE(named);
    CHECK(named->style == TableKind::gpt);
    CHECK(guid_text(named->partition_guid) == "{09931F21-7FAF-44A9-81D8-1E73C14B9EAF}");
    CHECK(encode_mounted_device(*named).data == gpt);

    CHECK_FALSE(decode_mounted_device(RegistryValue::sz("\\??\\SCSI#CdRom")));
    CHECK_FALSE(decode_mounted_device(RegistryValue::binary({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})));
    gpt[0] = 'X';
    CHECK_FALSE(decode_mounted_device(RegistryValue::binary(gpt)));
}

TEST_CASE("MountedDevices: the Windows 8.1 SYSTEM hive rewritten for a new MBR disk", "[boot][mounteddevices]") {
    testing::TempDir dir;
    const std::string system = testing::shared_fixture(dir, "hives/win81-x64-SYSTEM.xz");
    const std::vector<std::string> names{c_drive, system_reserved, windows_volume, cdrom_volume, d_drive};
    const auto before = testing::hivexget_values(system, "MountedDevices", names);
    // What the hive holds: System Reserved at 1 MiB, Windows at byte 0x15f00000 (sector 718848).
    REQUIRE(before.at(c_drive) == bytes({0xfe, 0x4c, 0x3e, 0x27, 0x00, 0x00, 0xf0, 0x15, 0, 0, 0, 0}));
    REQUIRE(before.at(system_reserved) == bytes({0xfe, 0x4c, 0x3e, 0x27, 0x00, 0x00, 0x10, 0x00, 0, 0, 0, 0}));

    const Layout old_disk = layout(TableKind::dos, "0x273e4cfe", {{2048, ""}, {718848, ""}});
    const Layout new_disk = layout(TableKind::dos, "0x1badb002", {{2048, ""}, {1026048, ""}});
    const DiskMove move = DiskMove::between(old_disk, new_disk);
    const std::string edited = dir.file("SYSTEM.fixed");
    {
        Hive hive(system, "SYSTEM", true);
        const auto edits = effective_edits(hive, plan_mounted_devices(hive, move));
        CHECK(edited_names(edits) == sorted({c_drive, system_reserved, windows_volume}));
        REQUIRE(!edits.empty());
        CHECK_THAT(edits[0].describe("SYSTEM"), Catch::Contains("(was REG_BINARY fe 4c 3e 27"));
        apply_edits(hive, edits);
        hive.commit(edited);
    }
    const auto after = testing::hivexget_values(edited, "MountedDevices", names);
    // 1026048 × 512 = 0x1f500000; the signature 0x1badb002 little-endian.
    const std::string new_windows = bytes({0x02, 0xb0, 0xad, 0x1b, 0x00, 0x00, 0x50, 0x1f, 0, 0, 0, 0});
    CHECK(after.at(c_drive) == new_windows);
    CHECK(after.at(windows_volume) == new_windows);
    CHECK(after.at(system_reserved) == bytes({0x02, 0xb0, 0xad, 0x1b, 0x00, 0x00, 0x10, 0x00, 0, 0, 0, 0}));
    // The CD-ROM's device paths name no partition and stay as they were.
    CHECK(after.at(cdrom_volume) == before.at(cdrom_volume));
    CHECK(after.at(d_drive) == before.at(d_drive));

    // Planned again on the fixed hive, nothing is left to do.
    Hive fixed(edited, "SYSTEM", false);
    CHECK(plan_mounted_devices(fixed, move).empty());
}

TEST_CASE("MountedDevices: GPT values rewritten for a new GPT disk, other disks left alone", "[boot][mounteddevices]") {
    testing::TempDir dir;
    const std::string minimal = testing::shared_fixture(dir, "hives/minimal-hive");
    const std::vector<std::uint8_t> old_c{'D', 'M', 'I', 'O', ':', 'I', 'D', ':', 0xa0, 0xce, 0x81, 0x15, 0xee, 0x12,
                                          0x7d, 0x4f, 0x89, 0x67, 0xa2, 0xb7, 0x30, 0x24, 0xaa, 0xe2};
    const std::vector<std::uint8_t> usb_stick{'D', 'M', 'I', 'O', ':', 'I', 'D', ':', 1, 2, 3, 4, 5, 6,
                                              7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    const std::vector<std::uint8_t> other_mbr{0x78, 0x56, 0x34, 0x12, 0, 0, 0x10, 0, 0, 0, 0, 0};
    const std::string system = dir.file("SYSTEM.gpt");
    {
        Hive hive(minimal, "SYSTEM", true);
        const KeyId key = hive.ensure(hive.root(), "MountedDevices");
        hive.set_value(key, c_drive, RegistryValue::binary(old_c));
        hive.set_value(key, windows_volume, RegistryValue::binary(old_c));
        hive.set_value(key, "\\??\\Volume{00000000-0000-0000-0000-000000000001}", RegistryValue::binary(usb_stick));
        hive.set_value(key, "\\DosDevices\\E:", RegistryValue::binary(other_mbr));
        hive.commit(system);
    }
    const Layout old_disk = layout(TableKind::gpt, "ADDC0D43-17A9-4E26-A16C-DC71E67393F7",
                                   {{2048, "C0FFEE00-0000-4000-8000-000000000001"}, {206848, "1581CEA0-12EE-4F7D-8967-A2B73024AAE2"}});
    const Layout new_disk = layout(TableKind::gpt, "6F1E4C2A-3B5D-4E7F-9A8B-0C1D2E3F4A5B",
                                   {{2048, "C0FFEE00-0000-4000-8000-000000000002"}, {206848, "09931F21-7FAF-44A9-81D8-1E73C14B9EAF"}});
    const std::string edited = dir.file("SYSTEM.fixed");
    {
        Hive hive(system, "SYSTEM", true);
        const auto edits = plan_mounted_devices(hive, DiskMove::between(old_disk, new_disk));
        CHECK(edited_names(edits) == sorted({c_drive, windows_volume}));
        apply_edits(hive, edits);
        hive.commit(edited);
    }
    const std::string new_c = "DMIO:ID:" + bytes({0x21, 0x1f, 0x93, 0x09, 0xaf, 0x7f, 0xa9, 0x44, 0x81, 0xd8, 0x1e, 0x73,
                                                  0xc1, 0x4b, 0x9e, 0xaf});
    CHECK(testing::hivexget_bytes(edited, "MountedDevices", c_drive) == new_c);
    CHECK(testing::hivexget_bytes(edited, "MountedDevices", windows_volume) == new_c);
    CHECK(testing::hivexget_bytes(edited, "MountedDevices", "\\??\\Volume{00000000-0000-0000-0000-000000000001}") ==
          testing::as_string(usb_stick));
    CHECK(testing::hivexget_bytes(edited, "MountedDevices", "\\DosDevices\\E:") == testing::as_string(other_mbr));
}

TEST_CASE("MountedDevices: a hive without the key plans nothing", "[boot][mounteddevices]") {
    testing::TempDir dir;
    const std::string minimal = testing::shared_fixture(dir, "hives/minimal-hive");
    Hive hive(minimal, "SYSTEM", false);
    const Layout old_disk = layout(TableKind::dos, "0x273e4cfe", {{2048, ""}});
    const Layout new_disk = layout(TableKind::dos, "0x1badb002", {{4096, ""}});
    CHECK(plan_mounted_devices(hive, DiskMove::between(old_disk, new_disk)).empty());
}
