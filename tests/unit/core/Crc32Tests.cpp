// The one CRC-32 (core/Crc32): the check value of its polynomial, and a CRC continued piece by
// piece equal to the CRC of the whole.

#include "core/Crc32.hpp"

#include <catch2/catch.hpp>

#include <string>

TEST_CASE("crc32: the check value of CRC-32/ISO-HDLC, whole and in pieces", "[core][crc32]") {
    const std::string check = "123456789";
    CHECK(dagda::crc32(check.data(), check.size()) == 0xCBF43926u);
    CHECK(dagda::crc32(nullptr, 0) == 0u);
    std::uint32_t crc = 0;
    for (const char c : check) crc = dagda::crc32_update(crc, &c, 1);
    CHECK(crc == 0xCBF43926u);
}
