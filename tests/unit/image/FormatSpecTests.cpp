// The examples of docs/tib-format.md §10 are test inputs: this file reads them out of the spec,
// so the spec and the code cannot drift apart.

#include "core/Bytes.hpp"
#include "core/Error.hpp"
#include "image/format/TibFormat.hpp"

#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

#include <zlib.h>

#include <regex>
#include <sstream>

using namespace dagda::image::format;

namespace {

// The body of the fenced block "```<kind> <name>" in the spec.
std::string spec_example(const std::string& name) {
    const std::string spec = dagda::testing::file_bytes(std::string(DAGDA_SOURCE_DIR) + "/docs/tib-format.md");
    const std::regex block("```[a-z]+ " + name + "\\n([^`]*)```");
    std::smatch match;
    REQUIRE(std::regex_search(spec, match, block));
    return match[1].str();
}

std::vector<std::uint8_t> hex_bytes(const std::string& text) {
    std::istringstream in(text);
    std::vector<std::uint8_t> out;
    std::string byte;
    while (in >> byte) out.push_back(static_cast<std::uint8_t>(std::stoul(byte, nullptr, 16)));
    return out;
}

// Rewrites the CRC-32 of bytes [0, n) at offset n, as a writer of a changed structure would.
template <typename Bytes>
void fix_crc(Bytes& bytes, std::size_t n) {
    dagda::store_le(bytes.data() + n, static_cast<std::uint32_t>(::crc32(::crc32(0L, Z_NULL, 0), bytes.data(), static_cast<uInt>(n))));
}

GenerationId counting_id() {
    GenerationId id{};
    for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::uint8_t>(i * 0x11);
    return id;
}

}  // namespace

TEST_CASE("TIB spec example 1: the file header", "[image][format][spec]") {
    const auto example = hex_bytes(spec_example("tib-example-header"));
    REQUIRE(example.size() == file_header_size);
    FileHeader header;
    header.required_features = feature_zstd | feature_incremental | feature_shared_digest;
    header.generation_id = counting_id();
    const auto encoded = encode_file_header(header);
    CHECK(std::vector<std::uint8_t>(encoded.begin(), encoded.end()) == example);
    const FileHeader decoded = decode_file_header(example.data(), "example");
    CHECK(decoded.required_features == 7);
    CHECK(decoded.minor == 1);
    CHECK(decoded.generation_id == counting_id());
}

TEST_CASE("TIB spec example 2: the trailer", "[image][format][spec]") {
    const auto example = hex_bytes(spec_example("tib-example-trailer"));
    REQUIRE(example.size() == trailer_size);
    Trailer trailer{3000, 2900, 4096, {}};
    trailer.generation_digest.fill(0x5a);
    const auto encoded = encode_trailer(trailer);
    CHECK(std::vector<std::uint8_t>(encoded.begin(), encoded.end()) == example);
    CHECK(decode_trailer(example.data(), "example").index_offset == 3000);
}

TEST_CASE("TIB spec example 3: the chunk digest", "[image][format][spec]") {
    const std::string expected = std::regex_replace(spec_example("tib-example-chunk-digest"), std::regex("\\s"), "");
    std::vector<std::uint8_t> data(8192, 0x41);
    std::fill(data.begin() + 4096, data.end(), 0x42);
    CHECK(to_hex(chunk_digest(1, 0, 4096, {0x03, 0x00}, data.data(), data.size())) == expected);
    // Bound to its place: another window, volume or mask gives another digest.
    CHECK(to_hex(chunk_digest(1, 1, 4096, {0x03, 0x00}, data.data(), data.size())) != expected);
    CHECK(to_hex(chunk_digest(2, 0, 4096, {0x03, 0x00}, data.data(), data.size())) != expected);
    CHECK(to_hex(chunk_digest(1, 0, 4096, {0x03, 0x01}, data.data(), data.size())) != expected);
}

TEST_CASE("TIB spec example 4: the window digest in both definitions", "[image][format][spec]") {
    const std::string chunk = std::regex_replace(spec_example("tib-example-chunk-digest"), std::regex("\\s"), "");
    const std::string version_1_0 = std::regex_replace(spec_example("tib-example-window-digest"), std::regex("\\s"), "");
    std::vector<std::uint8_t> data(8192, 0x41);
    std::fill(data.begin() + 4096, data.end(), 0x42);
    const auto window_digest = [&](std::uint64_t features) {
        Sha256 hash;
        begin_window_digest(hash, 1, 0, 4096, {0x03, 0x00}, features);
        hash.update(data.data(), data.size());
        return to_hex(hash.finish());
    };
    CHECK(window_digest(feature_zstd) == version_1_0);
    CHECK(window_digest(feature_zstd | feature_shared_digest) == chunk);
    CHECK(version_1_0 != chunk);
}

TEST_CASE("TIB header: every corruption is refused by name", "[image][format]") {
    FileHeader header;
    header.generation_id = counting_id();
    auto bytes = encode_file_header(header);
    SECTION("flipped byte") {
        bytes[40] ^= 1;
        CHECK_THROWS_WITH(decode_file_header(bytes.data(), "a.tib"), Catch::Contains("a.tib: file header CRC mismatch"));
    }
    SECTION("bad magic") {
        bytes[0] = 'X';
        CHECK_THROWS_WITH(decode_file_header(bytes.data(), "a.tib"), Catch::Contains("bad magic"));
    }
    SECTION("unknown version") {
        auto other = encode_file_header(header);
        other[8] = 2;
        fix_crc(other, 60);
        CHECK_THROWS_WITH(decode_file_header(other.data(), "a.tib"), Catch::Contains("version 2 is not supported"));
    }
    SECTION("unknown required feature") {
        header.required_features = 0x10;
        const auto other = encode_file_header(header);
        CHECK_THROWS_WITH(decode_file_header(other.data(), "a.tib"), Catch::Contains("unknown required feature flags 0x10"));
    }
    SECTION("unknown optional feature is fine") {
        header.optional_features = 0x10;
        const auto other = encode_file_header(header);
        CHECK(decode_file_header(other.data(), "a.tib").optional_features == 0x10);
    }
}

TEST_CASE("TIB records: header CRC, type, flags and size limits", "[image][format]") {
    auto bytes = encode_record_header({RecordType::volume, record_flag_zstd, 100, 0x1234});
    CHECK(decode_record_header(bytes.data(), "r").payload_size == 100);
    CHECK(to_string(RecordType::chunk) == "CHNK");
    auto flipped = bytes;
    flipped[9] ^= 1;
    CHECK_THROWS_WITH(decode_record_header(flipped.data(), "r"), Catch::Contains("record header CRC mismatch"));
    CHECK_THROWS_WITH(decode_record_header(encode_record_header({RecordType::chunk, record_flag_zstd, 100, 0}).data(), "r"),
                      Catch::Contains("not allowed"));
    CHECK_THROWS_WITH(decode_record_header(encode_record_header({RecordType::generation, 0, 1ull << 40, 0}).data(), "r"),
                      Catch::Contains("64 MiB limit"));
    auto unknown = encode_record_header({RecordType::index, 0, 1, 0});
    unknown[0] = 'Z';
    fix_crc(unknown, 20);
    CHECK_THROWS_WITH(decode_record_header(unknown.data(), "r"), Catch::Contains("unknown record type 'ZNDX'"));
}

TEST_CASE("TIB volume: round trip and every rule checked", "[image][format]") {
    VolumeInfo v;
    v.number = 2;
    v.block_size = 4096;
    v.volume_size = 10 * 4096 + 512;  // 11 blocks, the last one short
    v.window_size = 65536;
    v.filesystem = "ntfs";
    v.bitmap = {0b1000'0101, 0b0000'0100};  // blocks 0, 2, 7, 10
    v.used_blocks = 4;
    const auto payload = encode_volume(v);
    const VolumeInfo back = decode_volume(payload, "v");
    CHECK(back.filesystem == "ntfs");
    CHECK(back.block_count() == 11);
    CHECK(back.block_length(10) == 512);
    CHECK(back.window_mask(0) == std::vector<std::uint8_t>{0b1000'0101, 0b0000'0100});
    CHECK(masked_length(back, 0, back.window_mask(0)) == 3 * 4096 + 512);
    auto past_end = payload;
    past_end[64 + 1] |= 0x80;  // block 15 does not exist
    CHECK_THROWS_WITH(decode_volume(past_end, "v"), Catch::Contains("past the end"));
    auto miscounted = payload;
    dagda::store_le(miscounted.data() + 24, std::uint64_t{5});
    CHECK_THROWS_WITH(decode_volume(miscounted, "v"), Catch::Contains("used block count"));
    auto odd_block = payload;
    dagda::store_le(odd_block.data() + 4, std::uint32_t{3000});
    CHECK_THROWS_WITH(decode_volume(odd_block, "v"), Catch::Contains("block size 3000"));
}
