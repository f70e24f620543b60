// The identity mapping from a source disk's layout to a target disk's: what MountedDevices and
// the BCD will be rewritten from and to.
#include "windows/boot/DiskMove.hpp"

#include "core/Error.hpp"

#include <catch2/catch.hpp>

using namespace dagda::windows::boot;
using dagda::disk::Layout;
using dagda::disk::PartitionSpec;
using dagda::disk::TableKind;
using Catch::Matchers::Contains;

namespace {

const std::string basic_data = "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7";
const std::string ntfs_type = "7";

PartitionSpec part(unsigned number, std::uint64_t start, std::uint64_t size, std::optional<std::string> uuid = {}) {
    PartitionSpec spec;
    spec.number = number;
    spec.start = start;
    spec.size = size;
    // Assigned from strings, not literals: GCC 12 -O2 warns falsely on the latter (-Wrestrict).
    spec.type = uuid ? basic_data : ntfs_type;
    spec.uuid = std::move(uuid);
    return spec;
}

Layout layout(TableKind label, std::string id, std::vector<PartitionSpec> parts, unsigned sector_size = 512) {
    Layout out;
    out.label = label;
    out.id = std::move(id);
    out.sector_size = sector_size;
    out.partitions = std::move(parts);
    return out;
}

// The windows partition of the ntloader BCD fixture: disk 0x43da9ab1, byte 525336576.
const Layout old_mbr = layout(TableKind::dos, "0x43da9ab1", {part(1, 2048, 1024000), part(2, 1026048, 40960000)});

// GUIDs of the virt-v2v sample in the inoculation reference, and their bytes in Windows' order.
const std::string old_partition = "1581CEA0-12EE-4F7D-8967-A2B73024AAE2";
const std::string old_disk = "ADDC0D43-17A9-4E26-A16C-DC71E67393F7";
const GuidBytes old_partition_bytes{0xa0, 0xce, 0x81, 0x15, 0xee, 0x12, 0x7d, 0x4f,
                                    0x89, 0x67, 0xa2, 0xb7, 0x30, 0x24, 0xaa, 0xe2};
const GuidBytes old_disk_bytes{0x43, 0x0d, 0xdc, 0xad, 0xa9, 0x17, 0x26, 0x4e,
                               0xa1, 0x6c, 0xdc, 0x71, 0xe6, 0x73, 0x93, 0xf7};

}  // namespace

TEST_CASE("DiskMove: MBR partitions pair by number, offsets in bytes of each disk's sectors", "[boot][move]") {
    const Layout after = layout(TableKind::dos, "0x5EEDF00D", {part(1, 2048, 2048000), part(2, 2050048, 80000000)});
    const DiskMove move = DiskMove::between(old_mbr, after);
    REQUIRE(move.partitions().size() == 2);
    const PartitionMove& windows = move.partitions()[1];
    CHECK(windows.number == 2);
    CHECK(windows.before.style == TableKind::dos);
    CHECK(windows.before.disk_signature == 0x43da9ab1u);
    CHECK(windows.before.offset == 525336576u);
    CHECK(windows.after.disk_signature == 0x5eedf00du);
    CHECK(windows.after.offset == 2050048u * 512u);
    CHECK(windows.before.describe() == "MBR disk 0x43da9ab1, byte offset 525336576");
    // Partition 1 keeps its start, but the disk signature is new: it changes too.
    CHECK(move.partitions()[0].before.offset == move.partitions()[0].after.offset);
    CHECK(move.partitions()[0].changes());
    CHECK(move.changes_anything());

    CHECK(move.find(windows.before) == &windows);
    PartitionIdentity other_disk = windows.before;
    other_disk.disk_signature = 0x12345678;
    CHECK(move.find(other_disk) == nullptr);
    CHECK(move.find_gpt_partition(old_partition_bytes) == nullptr);
}

TEST_CASE("DiskMove: a target of 4096-byte sectors gives offsets in its own sector size", "[boot][move]") {
    const Layout after = layout(TableKind::dos, "0x5eedf00d", {part(1, 256, 128000), part(2, 256256, 5120000)}, 4096);
    const DiskMove move = DiskMove::between(old_mbr, after);
    CHECK(move.partitions()[1].after.offset == 256256u * 4096u);
}

TEST_CASE("DiskMove: GPT partitions pair by number, GUIDs in Windows byte order", "[boot][move]") {
    const Layout before = layout(TableKind::gpt, old_disk,
                                 {part(1, 2048, 204800, "C0FFEE00-0000-4000-8000-000000000001"),
                                  part(2, 206848, 40960000, old_partition)});
    const Layout after = layout(TableKind::gpt, "6F1E4C2A-3B5D-4E7F-9A8B-0C1D2E3F4A5B",
                                {part(1, 2048, 204800, "C0FFEE00-0000-4000-8000-000000000002"),
                                 part(2, 206848, 80000000, "09931F21-7FAF-44A9-81D8-1E73C14B9EAF")});
    const DiskMove move = DiskMove::between(before, after);
    const PartitionMove& windows = move.partitions()[1];
    CHECK(windows.before.partition_guid == old_partition_bytes);
    CHECK(windows.before.disk_guid == old_disk_bytes);
    CHECK(windows.after.partition_guid ==
          GuidBytes{0x21, 0x1f, 0x93, 0x09, 0xaf, 0x7f, 0xa9, 0x44, 0x81, 0xd8, 0x1e, 0x73, 0xc1, 0x4b, 0x9e, 0xaf});
    CHECK(windows.before.offset == 0);  // GPT identities carry no offset
    CHECK(windows.before.describe() == "GPT partition {" + old_partition + "} on disk {" + old_disk + "}");
    CHECK(move.find_gpt_partition(old_partition_bytes) == &windows);
    CHECK(move.find(windows.before) == &windows);
    PartitionIdentity other_disk = windows.before;
    other_disk.disk_guid[0] ^= 1;
    CHECK(move.find(other_disk) == nullptr);
}

TEST_CASE("DiskMove: the same layout moves nothing", "[boot][move]") {
    const DiskMove move = DiskMove::between(old_mbr, old_mbr);
    CHECK_FALSE(move.changes_anything());
    CHECK_FALSE(move.partitions()[1].changes());
}

TEST_CASE("DiskMove: layouts that do not pair are refused with the reason", "[boot][move]") {
    SECTION("another partition count") {
        const Layout after = layout(TableKind::dos, "0x5eedf00d", {part(1, 2048, 2048000), part(2, 2050048, 100), part(3, 2060000, 100)});
        CHECK_THROWS_WITH(DiskMove::between(old_mbr, after),
                          Contains("old disk has 2 partitions (1, 2), the new one 3 (1, 2, 3)"));
    }
    SECTION("other numbers") {
        const Layout after = layout(TableKind::dos, "0x5eedf00d", {part(1, 2048, 2048000), part(5, 2050048, 100)});
        CHECK_THROWS_WITH(DiskMove::between(old_mbr, after), Contains("partition 2 of the old disk has no partition 2"));
    }
    SECTION("MBR to GPT (the ntloader BCD store's disk onto a GPT disk)") {
        const Layout after = layout(TableKind::gpt, old_disk, {part(1, 2048, 100, old_partition), part(2, 4096, 100, old_partition)});
        CHECK_THROWS_WITH(DiskMove::between(old_mbr, after),
                          Contains("old disk is MBR and the new one GPT") && Contains("not supported yet"));
    }
    SECTION("GPT to MBR") {
        const Layout before = layout(TableKind::gpt, old_disk, {part(1, 2048, 100, old_partition), part(2, 4096, 100, old_partition)});
        CHECK_THROWS_WITH(DiskMove::between(before, old_mbr), Contains("old disk is GPT and the new one MBR"));
    }
    SECTION("a zero signature on the new disk") {
        const Layout after = layout(TableKind::dos, "0x00000000", {part(1, 2048, 2048000), part(2, 2050048, 100)});
        CHECK_THROWS_WITH(DiskMove::between(old_mbr, after), Contains("MBR signature is 0"));
    }
    SECTION("a signature that is not hex") {
        const Layout after = layout(TableKind::dos, "0xnothex", {part(1, 2048, 2048000), part(2, 2050048, 100)});
        CHECK_THROWS_WITH(DiskMove::between(old_mbr, after), Contains("new disk's MBR signature is not a 32-bit hex number"));
    }
    SECTION("a GPT partition without a GUID") {
        const Layout before = layout(TableKind::gpt, old_disk, {part(1, 2048, 100, old_partition)});
        Layout after = before;
        after.partitions[0].uuid.reset();
        CHECK_THROWS_WITH(DiskMove::between(before, after), Contains("partition 1 of the new disk has no partition GUID"));
    }
    CHECK_THROWS_AS(DiskMove::between(old_mbr, layout(TableKind::dos, "0x1", {})), dagda::Error);
}
