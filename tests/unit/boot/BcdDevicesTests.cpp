// BCD device elements on the two real stores in ../shared/fixtures/bcd: decoded, rewritten for a
// new MBR disk and a new GPT disk, committed, and every element read back with hivexget.
//
// What the stores hold (read with hivexget; ntloader-bcd.bat says how bcdedit made them):
// - ntloader-bcd: partition C: is MBR disk 0x43da9ab1 at byte 0x1f500000. The OS loader
//   {…0002} and the resume object {…0003} name it in 11000001 and 21000001 (a plain partition
//   descriptor at 0x10); the WIM loader {…0000} names it inside a ramdisk descriptor (partition
//   descriptor at 0x44) and the VHD loader {…0001} inside a locate descriptor (at 0x76). The
//   {ramdiskoptions} object's 31000003 is the boot device. No GPT store is among the fixtures,
//   and moving this MBR store to a GPT disk is refused (DiskMoveTests), so the GPT case runs
//   on a copy with C: renamed to a GPT partition by hand.
// - setup-media-BCD: no element names a partition: the loader is a ramdisk on the boot device,
//   the memtest and ramdisk-options devices are the boot device, the boot manager has none.
#include "windows/boot/BcdDevices.hpp"

#include "HiveCheck.hpp"
#include "common/TempDir.hpp"
#include "core/Error.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <span>

using namespace dagda::windows::boot;
using namespace dagda::windows::registry;
using dagda::disk::Layout;
using dagda::disk::PartitionSpec;
using dagda::disk::TableKind;
using Catch::Matchers::Contains;
namespace testing = dagda::testing;

namespace {

const std::string wim = "{19260817-6666-8888-abcd-000000000000}";
const std::string vhd = "{19260817-6666-8888-abcd-000000000001}";
const std::string os = "{19260817-6666-8888-abcd-000000000002}";
const std::string resume = "{19260817-6666-8888-abcd-000000000003}";
const std::string ramdisk_options = "{ae5534e0-a924-466c-b836-758539a3ee3a}";

// Where each element of ntloader-bcd that names C: has its partition descriptor (found by reading
// the bytes, see the top of the file), by "{object}\<element>" as bcd_elements() keys them.
const std::map<std::string, std::size_t> ntloader_partitions{
    {wim + "\\11000001", 0x44}, {wim + "\\21000001", 0x44}, {vhd + "\\11000001", 0x76}, {vhd + "\\21000001", 0x76},
    {os + "\\11000001", 0x10},  {os + "\\21000001", 0x10},  {resume + "\\11000001", 0x10}, {resume + "\\21000001", 0x10},
};

std::uint64_t le(const std::string& bytes, std::size_t at, std::size_t size) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < size; ++i) value |= std::uint64_t{static_cast<std::uint8_t>(bytes.at(at + i))} << (8 * i);
    return value;
}

void put_le(std::string& bytes, std::size_t at, std::uint64_t value, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) bytes.at(at + i) = static_cast<char>((value >> (8 * i)) & 0xff);
}

// The expected bytes, written from the layout table in the reference, not with the code under test.
std::string with_mbr(std::string bytes, std::size_t descriptor, std::uint64_t offset, std::uint32_t signature) {
    put_le(bytes, descriptor + 0x10, offset, 8);
    put_le(bytes, descriptor + 0x24, 1, 4);
    put_le(bytes, descriptor + 0x28, signature, 4);
    return bytes;
}

std::string with_gpt(std::string bytes, std::size_t descriptor, const std::string& partition, const std::string& disk) {
    bytes.replace(descriptor + 0x10, 16, partition);
    put_le(bytes, descriptor + 0x24, 0, 4);
    bytes.replace(descriptor + 0x28, 16, disk);
    return bytes;
}

std::string raw(std::initializer_list<unsigned> values) {
    std::string out;
    for (const unsigned v : values) out += static_cast<char>(v);
    return out;
}

// {1581cea0-12ee-4f7d-8967-a2b73024aae2} on {addc0d43-17a9-4e26-a16c-dc71e67393f7} (virt-v2v's
// sample) before, {09931f21-7faf-44a9-81d8-1e73c14b9eaf} on {6f1e4c2a-…} after, in Windows order.
const std::string old_partition_guid = raw({0xa0, 0xce, 0x81, 0x15, 0xee, 0x12, 0x7d, 0x4f, 0x89, 0x67, 0xa2, 0xb7, 0x30, 0x24, 0xaa, 0xe2});
const std::string old_disk_guid = raw({0x43, 0x0d, 0xdc, 0xad, 0xa9, 0x17, 0x26, 0x4e, 0xa1, 0x6c, 0xdc, 0x71, 0xe6, 0x73, 0x93, 0xf7});
const std::string new_partition_guid = raw({0x21, 0x1f, 0x93, 0x09, 0xaf, 0x7f, 0xa9, 0x44, 0x81, 0xd8, 0x1e, 0x73, 0xc1, 0x4b, 0x9e, 0xaf});
const std::string new_disk_guid = raw({0x2a, 0x4c, 0x1e, 0x6f, 0x5d, 0x3b, 0x7f, 0x4e, 0x9a, 0x8b, 0x0c, 0x1d, 0x2e, 0x3f, 0x4a, 0x5b});

Layout two_partitions(TableKind label, std::string id, std::uint64_t second_start, const std::string& first_uuid = "",
                      const std::string& second_uuid = "") {
    Layout out;
    out.label = label;
    out.id = std::move(id);
    PartitionSpec first;
    first.number = 1;
    first.start = 2048;
    first.size = second_start - 2048;
    PartitionSpec second = first;
    second.number = 2;
    second.start = second_start;
    second.size = 40960000;
    if (!first_uuid.empty()) first.uuid = first_uuid;
    if (!second_uuid.empty()) second.uuid = second_uuid;
    out.partitions = {first, second};
    return out;
}

bool is_device_key(const std::string& object_and_element) {
    const std::string id = object_and_element.substr(object_and_element.rfind('\\') + 1);
    return id.size() == 8 && id[1] == '1';  // the format nibble is the second hex digit
}

// "Objects\{o}\Elements\e" -> "{o}\e", the keys of bcd_elements().
std::string short_key(const std::string& key) {
    const std::string object = key.substr(8, key.find('\\', 8) - 8);
    return object + "\\" + key.substr(key.rfind('\\') + 1);
}

std::vector<std::string> planned_keys(const std::vector<RegistryEdit>& edits) {
    std::vector<std::string> keys;
    for (const RegistryEdit& edit : edits) {
        CHECK(edit.value_name == "Element");
        keys.push_back(short_key(edit.key));
    }
    std::sort(keys.begin(), keys.end());
    return keys;
}

// Plans, applies and commits to `out`; the edits must be those of the elements in `expected`.
void plan_apply_commit(const std::string& store, const DiskMove& move, const std::string& out,
                       const std::map<std::string, std::size_t>& expected) {
    std::vector<std::string> expected_keys;
    for (const auto& [key, offset] : expected) expected_keys.push_back(key);
    Hive hive(store, "BCD", true);
    const auto edits = effective_edits(hive, plan_bcd_devices(hive, move));
    CHECK(planned_keys(edits) == expected_keys);
    apply_edits(hive, edits);
    hive.commit(out);
}

// Every element of `after` against `before`: those in `partitions` must equal `expected(before
// bytes, descriptor offset)`, and every other one, device or not, must be unchanged.
template <typename Expected>
void check_every_element(const std::string& before_store, const std::string& after_store, std::size_t device_count,
                         const std::map<std::string, std::size_t>& partitions, Expected expected) {
    const auto before = testing::bcd_elements(before_store);
    const auto after = testing::bcd_elements(after_store);
    REQUIRE(before.size() == after.size());
    std::size_t devices = 0;
    for (const auto& [key, old_bytes] : before) {
        INFO("element " << key);
        REQUIRE(after.count(key) == 1);
        const std::string& new_bytes = after.at(key);
        devices += is_device_key(key) ? 1 : 0;
        const auto named = partitions.find(key);
        if (named == partitions.end()) {
            CHECK(new_bytes == old_bytes);
            continue;
        }
        CHECK(new_bytes != old_bytes);
        CHECK(new_bytes == expected(old_bytes, named->second));
    }
    CHECK(devices == device_count);
}

}  // namespace

TEST_CASE("BcdDevices: element ids of the device format", "[boot][bcd]") {
    CHECK(is_device_element(0x11000001));
    CHECK(is_device_element(0x21000001));
    CHECK(is_device_element(0x31000003));
    CHECK_FALSE(is_device_element(0x12000002));
    CHECK_FALSE(is_device_element(0x23000003));
    CHECK_FALSE(is_device_element(0x25000004));
}

TEST_CASE("BcdDevices: a partition element bcdedit wrote decodes, and encodes back byte for byte", "[boot][bcd]") {
    testing::TempDir dir;
    const std::string store = testing::shared_fixture(dir, "bcd/ntloader-bcd");
    const std::string element = testing::hivexget_bytes(store, "Objects\\" + os + "\\Elements\\11000001", "Element");
    REQUIRE(element.size() == partition_element_size);
    const DeviceElement device = parse_device_element(testing::as_bytes(element));
    CHECK(device.type == static_cast<std::uint32_t>(DeviceType::partition));
    CHECK(device.chain == std::vector<std::string>{"partition"});
    REQUIRE(device.partitions.size() == 1);
    CHECK(device.partitions[0].offset == 0x10);
    const PartitionIdentity& c = device.partitions[0].partition;
    CHECK(c.style == TableKind::dos);
    CHECK(c.disk_signature == 0x43da9ab1u);
    CHECK(c.offset == 0x1f500000u);
    CHECK(device.describe() == "partition (MBR disk 0x43da9ab1, byte offset 525336576)");
    CHECK(testing::as_string(encode_partition_element(c)) == element);

    // The GPT form, against the table in the reference.
    PartitionIdentity gpt;
    gpt.style = TableKind::gpt;
    std::copy(old_partition_guid.begin(), old_partition_guid.end(), gpt.partition_guid.begin());
    std::copy(old_disk_guid.begin(), old_disk_guid.end(), gpt.disk_guid.begin());
    std::string expected(partition_element_size, '\0');
    expected[0x10] = 6;
    expected[0x18] = 0x48;
    expected.replace(0x20, 16, old_partition_guid);
    expected.replace(0x38, 16, old_disk_guid);
    CHECK(testing::as_string(encode_partition_element(gpt)) == expected);
    CHECK(parse_device_element(testing::as_bytes(expected)).partitions.at(0).partition == gpt);
}

TEST_CASE("BcdDevices: every device of the ntloader store, as bcdedit made it", "[boot][bcd]") {
    testing::TempDir dir;
    const std::string store = testing::shared_fixture(dir, "bcd/ntloader-bcd");
    Hive hive(store, "BCD", false);
    std::map<std::string, std::string> seen;
    for (const BcdDeviceEntry& entry : list_bcd_devices(hive)) {
        const std::string key = short_key(entry.key);
        seen[key] = entry.device.describe();
        const auto named = ntloader_partitions.find(key);
        if (named == ntloader_partitions.end()) {
            CHECK(entry.device.partitions.empty());
            continue;
        }
        REQUIRE(entry.device.partitions.size() == 1);
        CHECK(entry.device.partitions[0].offset == named->second);
        CHECK(entry.device.partitions[0].partition.disk_signature == 0x43da9ab1u);
        CHECK(entry.device.partitions[0].partition.offset == 0x1f500000u);
    }
    const std::string c = " (MBR disk 0x43da9ab1, byte offset 525336576)";
    CHECK(seen == std::map<std::string, std::string>{
                      {wim + "\\11000001", "ramdisk holding a file on partition" + c},
                      {wim + "\\21000001", "ramdisk holding a file on partition" + c},
                      {vhd + "\\11000001", "locate holding a file on partition" + c},
                      {vhd + "\\21000001", "locate holding a file on partition" + c},
                      {os + "\\11000001", "partition" + c},
                      {os + "\\21000001", "partition" + c},
                      {resume + "\\11000001", "partition" + c},
                      {resume + "\\21000001", "partition" + c},
                      {ramdisk_options + "\\31000003", "boot device"},
                  });
}

TEST_CASE("BcdDevices: the setup-media store names no partition by its identity", "[boot][bcd]") {
    testing::TempDir dir;
    const std::string store = testing::shared_fixture(dir, "bcd/setup-media-BCD");
    Hive hive(store, "BCD", false);
    std::map<std::string, std::string> seen;
    for (const BcdDeviceEntry& entry : list_bcd_devices(hive)) {
        seen[short_key(entry.key)] = entry.device.describe();
        CHECK(entry.device.partitions.empty());
    }
    CHECK(seen == std::map<std::string, std::string>{
                      {"{7619dcc8-fafe-11d9-b411-000476eba25f}\\31000003", "boot device"},
                      {"{7619dcc9-fafe-11d9-b411-000476eba25f}\\11000001", "ramdisk holding a file on boot device"},
                      {"{7619dcc9-fafe-11d9-b411-000476eba25f}\\21000001", "ramdisk holding a file on boot device"},
                      {"{b2721d73-1db4-4c62-bf78-c548a880142d}\\11000001", "boot device"},
                  });
}

TEST_CASE("BcdDevices: the ntloader store rewritten for a new MBR disk, every element read back", "[boot][bcd]") {
    testing::TempDir dir;
    const std::string store = testing::shared_fixture(dir, "bcd/ntloader-bcd");
    // The old identity, read out of the store by hivexget: type 6, style 1, offset and signature.
    const std::string c = testing::hivexget_bytes(store, "Objects\\" + os + "\\Elements\\21000001", "Element");
    REQUIRE(le(c, 0x10, 4) == 6);
    REQUIRE(le(c, 0x34, 4) == 1);
    const std::uint64_t old_offset = le(c, 0x20, 8);
    const auto old_signature = static_cast<std::uint32_t>(le(c, 0x38, 4));
    REQUIRE(old_offset % 512 == 0);
    char old_id[16];
    std::snprintf(old_id, sizeof old_id, "0x%08x", old_signature);

    const Layout old_disk = two_partitions(TableKind::dos, old_id, old_offset / 512);
    const Layout new_disk = two_partitions(TableKind::dos, "0x5eedf00d", 2050048);
    const std::string fixed = dir.file("bcd-mbr");
    plan_apply_commit(store, DiskMove::between(old_disk, new_disk), fixed, ntloader_partitions);
    check_every_element(store, fixed, 9, ntloader_partitions, [](const std::string& bytes, std::size_t descriptor) {
        return with_mbr(bytes, descriptor, 2050048ull * 512, 0x5eedf00d);
    });

    // Planned again on the rewritten store, nothing is left; the old disk is not named anywhere.
    Hive rewritten(fixed, "BCD", false);
    CHECK(plan_bcd_devices(rewritten, DiskMove::between(old_disk, new_disk)).empty());
    CHECK(plan_bcd_devices(rewritten, DiskMove::between(new_disk, old_disk)).size() == ntloader_partitions.size());
}

TEST_CASE("BcdDevices: a GPT store rewritten for a new GPT disk, every element read back", "[boot][bcd]") {
    testing::TempDir dir;
    const std::string store = testing::shared_fixture(dir, "bcd/ntloader-bcd");
    // No GPT store is among the fixtures: this one is ntloader-bcd with C: renamed to a GPT
    // partition by hand, byte for byte from the reference table (not with the code under test).
    const std::string gpt_store = dir.file("bcd-gpt-source");
    {
        const auto elements = testing::bcd_elements(store);
        Hive hive(store, "BCD", true);
        for (const auto& [key, descriptor] : ntloader_partitions) {
            const std::string bytes = with_gpt(elements.at(key), descriptor, old_partition_guid, old_disk_guid);
            const std::string object = key.substr(0, key.find('\\'));
            const KeyId element = hive.ensure(hive.root(), "Objects\\" + object + "\\Elements\\" + key.substr(key.find('\\') + 1));
            hive.set_value(element, "Element", RegistryValue::binary(testing::as_bytes(bytes)));
        }
        hive.commit(gpt_store);
    }
    const Layout old_disk = two_partitions(TableKind::gpt, "ADDC0D43-17A9-4E26-A16C-DC71E67393F7", 206848,
                                           "C0FFEE00-0000-4000-8000-000000000001", "1581CEA0-12EE-4F7D-8967-A2B73024AAE2");
    const Layout new_disk = two_partitions(TableKind::gpt, "6F1E4C2A-3B5D-4E7F-9A8B-0C1D2E3F4A5B", 206848,
                                           "C0FFEE00-0000-4000-8000-000000000002", "09931F21-7FAF-44A9-81D8-1E73C14B9EAF");
    const std::string fixed = dir.file("bcd-gpt");
    plan_apply_commit(gpt_store, DiskMove::between(old_disk, new_disk), fixed, ntloader_partitions);
    check_every_element(gpt_store, fixed, 9, ntloader_partitions, [](const std::string& bytes, std::size_t descriptor) {
        return with_gpt(bytes, descriptor, new_partition_guid, new_disk_guid);
    });
}

TEST_CASE("BcdDevices: the setup-media store rewritten for new MBR and GPT disks stays as it was", "[boot][bcd]") {
    testing::TempDir dir;
    const std::string store = testing::shared_fixture(dir, "bcd/setup-media-BCD");
    const auto unchanged = [](const std::string& bytes, std::size_t) { return bytes; };
    SECTION("new MBR disk") {
        const std::string fixed = dir.file("setup-mbr");
        plan_apply_commit(store,
                          DiskMove::between(two_partitions(TableKind::dos, "0x43da9ab1", 1026048),
                                            two_partitions(TableKind::dos, "0x5eedf00d", 2050048)),
                          fixed, {});
        check_every_element(store, fixed, 4, {}, unchanged);
    }
    SECTION("new GPT disk") {
        const std::string fixed = dir.file("setup-gpt");
        plan_apply_commit(store,
                          DiskMove::between(two_partitions(TableKind::gpt, "ADDC0D43-17A9-4E26-A16C-DC71E67393F7", 206848,
                                                           "C0FFEE00-0000-4000-8000-000000000001", "1581CEA0-12EE-4F7D-8967-A2B73024AAE2"),
                                            two_partitions(TableKind::gpt, "6F1E4C2A-3B5D-4E7F-9A8B-0C1D2E3F4A5B", 206848,
                                                           "C0FFEE00-0000-4000-8000-000000000002", "09931F21-7FAF-44A9-81D8-1E73C14B9EAF")),
                          fixed, {});
        check_every_element(store, fixed, 4, {}, unchanged);
    }
}

TEST_CASE("BcdDevices: truncated and malformed elements are refused with the reason", "[boot][bcd]") {
    testing::TempDir dir;
    const std::string store = testing::shared_fixture(dir, "bcd/ntloader-bcd");
    const auto partition = testing::as_bytes(testing::hivexget_bytes(store, "Objects\\" + os + "\\Elements\\11000001", "Element"));
    const auto ramdisk = testing::as_bytes(testing::hivexget_bytes(store, "Objects\\" + wim + "\\Elements\\11000001", "Element"));
    using Span = std::span<const std::uint8_t>;

    CHECK_THROWS_WITH(parse_device_element(Span(partition).first(20)), Contains("truncated") && Contains("20 bytes"));
    CHECK_THROWS_WITH(parse_device_element(Span(partition).first(60)),
                      Contains("truncated") && Contains("declares 72 bytes from offset 0x10, the value holds 60"));
    CHECK_THROWS_WITH(parse_device_element(Span(ramdisk).first(300)), Contains("declares 634 bytes"));
    // The outer size intact but the file path's device claiming more than remains.
    auto bad_inner = ramdisk;
    bad_inner[0x44 + 10] = 1;  // 0x48 becomes 0x10048
    CHECK_THROWS_WITH(parse_device_element(bad_inner), Contains("the device at 0x44 declares"));

    CHECK_THROWS_WITH(rewrite_partition(ramdisk, 0x10, parse_device_element(partition).partitions.at(0).partition),
                      Contains("no partition descriptor at offset 0x10"));
    PartitionIdentity gpt;
    gpt.style = TableKind::gpt;
    CHECK_THROWS_WITH(rewrite_partition(partition, 0x10, gpt), Contains("cannot be changed to GPT partition"));

    SECTION("in a store, the error names the element") {
        const std::string broken = dir.file("bcd-broken");
        {
            Hive hive(store, "BCD", true);
            const KeyId key = *hive.find("Objects\\" + resume + "\\Elements\\21000001");
            hive.set_value(key, "Element", RegistryValue::binary(std::vector<std::uint8_t>(partition.begin(), partition.begin() + 40)));
            hive.commit(broken);
        }
        Hive hive(broken, "BCD", false);
        const DiskMove move = DiskMove::between(two_partitions(TableKind::dos, "0x43da9ab1", 1026048),
                                                two_partitions(TableKind::dos, "0x5eedf00d", 2050048));
        CHECK_THROWS_WITH(plan_bcd_devices(hive, move),
                          Contains("BCD Objects\\" + resume + "\\Elements\\21000001: truncated BCD device element"));
    }
    SECTION("a device element that is not REG_BINARY") {
        const std::string broken = dir.file("bcd-string");
        {
            Hive hive(store, "BCD", true);
            hive.set_value(*hive.find("Objects\\" + os + "\\Elements\\11000001"), "Element", RegistryValue::sz("C:"));
            hive.commit(broken);
        }
        Hive hive(broken, "BCD", false);
        CHECK_THROWS_WITH(list_bcd_devices(hive), Contains("11000001 is REG_SZ, not the REG_BINARY of a device"));
    }
    SECTION("a hive that is not a BCD store") {
        const std::string minimal = testing::shared_fixture(dir, "hives/minimal-hive");
        Hive hive(minimal, "SYSTEM", false);
        CHECK_THROWS_WITH(list_bcd_devices(hive), Contains("not a BCD store"));
    }
}
