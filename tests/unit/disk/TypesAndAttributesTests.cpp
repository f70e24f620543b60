#include "core/Error.hpp"
#include "disk/GptAttributes.hpp"
#include "disk/PartitionTypes.hpp"

#include <catch2/catch.hpp>

using namespace dagda::disk;

TEST_CASE("PartitionTypes: dos types are spelled as sfdisk spells them", "[disk][types]") {
    CHECK(normalize_type(TableKind::dos, "0x07") == "7");
    CHECK(normalize_type(TableKind::dos, "07") == "7");
    CHECK(normalize_type(TableKind::dos, "EF") == "ef");
    for (const char* type : {"7", "b", "c", "27", "83", "82", "ef"}) CHECK(normalize_type(TableKind::dos, type) == type);
    CHECK(type_text(TableKind::dos, "27") == "0x27 Hidden NTFS WinRE");
    CHECK(normalize_type(TableKind::dos, "0x0F") == "f");
    CHECK(is_extended(TableKind::dos, "5"));
    CHECK(is_extended(TableKind::dos, "f"));
    CHECK_FALSE(is_extended(TableKind::dos, "7"));
}

TEST_CASE("PartitionTypes: types that cannot be written are refused", "[disk][types]") {
    CHECK_THROWS_WITH(normalize_type(TableKind::dos, "0"), Catch::Contains("empty slot"));
    CHECK_THROWS_WITH(normalize_type(TableKind::dos, "100"), Catch::Contains("one byte"));
    CHECK_THROWS_WITH(normalize_type(TableKind::gpt, "7"), Catch::Contains("GUID"));
    CHECK_THROWS_WITH(normalize_type(TableKind::gpt, "00000000-0000-0000-0000-000000000000"), Catch::Contains("unused"));
}

TEST_CASE("PartitionTypes: the Windows and Linux GPT types are known", "[disk][types]") {
    CHECK(normalize_type(TableKind::gpt, "c12a7328-f81f-11d2-ba4b-00a0c93ec93b") == "C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
    CHECK(type_text(TableKind::gpt, "C12A7328-F81F-11D2-BA4B-00A0C93EC93B") == "EFI System");
    CHECK(type_text(TableKind::gpt, "E3C9E316-0B5C-4DB8-817D-F92DF00215AE") == "Microsoft reserved");
    CHECK(describe_type(TableKind::gpt, "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7")->role == TypeRole::data);
    CHECK(describe_type(TableKind::gpt, "DE94BBA4-06D1-4D40-A16A-BFD50179D6AC")->role == TypeRole::system);
    CHECK(describe_type(TableKind::gpt, "0FC63DAF-8483-4772-8E79-3D69D8477DE4")->role == TypeRole::data);
    CHECK_FALSE(describe_type(TableKind::gpt, "01234567-89AB-CDEF-0123-456789ABCDEF").has_value());
}

TEST_CASE("GptAttributes: sfdisk's text both ways", "[disk][attrs]") {
    CHECK(format_gpt_attributes(0) == "");
    CHECK(format_gpt_attributes(1) == "RequiredPartition");
    CHECK(format_gpt_attributes((1ull << 63) | 1) == "RequiredPartition GUID:63");
    CHECK(format_gpt_attributes((1ull << 60) | (1ull << 62) | 4) == "LegacyBIOSBootable GUID:60,62");
    CHECK(parse_gpt_attributes("LegacyBIOSBootable GUID:60,62") == ((1ull << 60) | (1ull << 62) | 4));
    CHECK(parse_gpt_attributes("GUID:60 GUID:62") == ((1ull << 60) | (1ull << 62)));
    CHECK(parse_gpt_attributes("NoBlockIOProtocol") == 2);
    CHECK_THROWS_WITH(parse_gpt_attributes("GUID:12"), Catch::Contains("GUID:12"));
    CHECK_THROWS_WITH(parse_gpt_attributes("Hidden"), Catch::Contains("'Hidden'"));
}
