#include "disk/OnDiskTable.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace dagda::disk;

TEST_CASE("OnDiskTable: CHS as the Windows 7 fixture has it", "[disk][mbr]") {
    const std::uint64_t disk = 122880;  // 60 MiB: 7 whole cylinders of 255 x 63
    CHECK(chs_bytes(128, disk) == std::array<std::uint8_t, 3>{0x02, 0x03, 0x00});
    CHECK(chs_bytes(55423, disk) == std::array<std::uint8_t, 3>{0x72, 0x2f, 0x03});
    CHECK(chs_bytes(55424, disk) == std::array<std::uint8_t, 3>{0x72, 0x30, 0x03});
    // Past the last whole cylinder: clamped to its last sector, as Windows wrote it.
    CHECK(chs_bytes(116863, disk) == std::array<std::uint8_t, 3>{0xfe, 0x3f, 0x06});
    // Past cylinder 1023 on a large disk: the usual 1023/254/63.
    CHECK(chs_bytes(100'000'000, 200'000'000) == std::array<std::uint8_t, 3>{0xfe, 0xff, 0xff});
}

TEST_CASE("OnDiskTable: GUIDs in GPT's mixed-endian byte order", "[disk][gpt]") {
    // Bytes 56..71 of a GPT header written by sfdisk, and the GUID sfdisk printed for them.
    const std::array<std::uint8_t, 16> bytes{0xea, 0x02, 0x22, 0xec, 0x5b, 0x03, 0x4e, 0x1b,
                                             0x88, 0x6c, 0x20, 0xfc, 0x45, 0x3a, 0xfe, 0xde};
    CHECK(guid_string(bytes.data()) == "EC2202EA-035B-1B4E-886C-20FC453AFEDE");
    CHECK(guid_bytes("ec2202ea-035b-1b4e-886c-20fc453afede") == bytes);
    CHECK_THROWS(guid_bytes("EC2202EA035B1B4E886C20FC453AFEDE"));
}

TEST_CASE("OnDiskTable: GPT header encodes and parses back - a flipped byte is caught", "[disk][gpt]") {
    GptHeader h;
    h.my_lba = 1;
    h.alternate_lba = 4194303;
    h.first_usable_lba = 2048;
    h.last_usable_lba = 4194270;
    h.disk_guid = guid_bytes("EC2202EA-035B-1B4E-886C-20FC453AFEDE");
    h.entries_lba = 2;
    h.entry_count = 128;
    h.entry_size = 128;
    h.entries_crc32 = 0x83a511b9;
    auto sector = encode_gpt_header(h, 512);
    const auto back = parse_gpt_header(sector.data(), sector.size());
    REQUIRE(back.has_value());
    CHECK(back->last_usable_lba == 4194270);
    CHECK(back->entries_crc32 == 0x83a511b9u);
    CHECK(guid_string(back->disk_guid.data()) == "EC2202EA-035B-1B4E-886C-20FC453AFEDE");
    sector[40] ^= 1;
    CHECK_FALSE(parse_gpt_header(sector.data(), sector.size()).has_value());
}

TEST_CASE("OnDiskTable: default usable range of a 128-entry GPT", "[disk][gpt]") {
    CHECK(default_gpt_first_lba(512) == 34);
    CHECK(default_gpt_last_lba(4194304, 512) == 4194270);
    CHECK(default_gpt_first_lba(4096) == 6);
    CHECK(default_gpt_last_lba(1000, 4096) == 994);
}

