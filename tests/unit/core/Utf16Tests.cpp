#include "core/Utf16.hpp"

#include <catch2/catch.hpp>

using dagda::utf16_units;
using dagda::utf8_from_utf16;
using dagda::utf8_from_utf16le;

TEST_CASE("Utf16: UTF-8 text becomes UTF-16 code units", "[core][utf16]") {
    CHECK(utf16_units("EFI") == std::vector<std::uint16_t>{'E', 'F', 'I'});
    CHECK(utf16_units("\xc3\xa9\xe2\x82\xac") == std::vector<std::uint16_t>{0x00e9, 0x20ac});
    CHECK(utf16_units("\xf0\x9f\x92\xbe") == std::vector<std::uint16_t>{0xd83d, 0xdcbe});
    CHECK_THROWS(utf16_units("\xff"));
    CHECK_THROWS(utf16_units("\xc3"));
    CHECK_THROWS(utf16_units("\xed\xa0\x80"));  // an encoded surrogate is not UTF-8
}

TEST_CASE("Utf16: code units and UTF-16LE bytes become UTF-8", "[core][utf16]") {
    const std::vector<std::uint16_t> units{'C', 0x00e9, 0x20ac, 0xd83d, 0xdcbe};
    CHECK(utf8_from_utf16(units.data(), units.size()) == "C\xc3\xa9\xe2\x82\xac\xf0\x9f\x92\xbe");
    const std::vector<std::uint16_t> lone{'a', 0xd800, 'b'};
    CHECK(utf8_from_utf16(lone.data(), lone.size()) == "a\xef\xbf\xbd" "b");
    const std::uint8_t bytes[] = {'S', 0, 'Y', 0, 0, 0, 'Z', 0};
    CHECK(utf8_from_utf16le(bytes, sizeof bytes) == "SY");
    CHECK(utf8_from_utf16le(bytes, 3) == "S");
}
