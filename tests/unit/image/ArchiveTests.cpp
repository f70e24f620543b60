// Capture → archive → restore through the library on real files, and every kind of damage to an
// archive refused with the place named.

#include "core/Bytes.hpp"
#include "core/Error.hpp"
#include "core/UniqueFd.hpp"
#include "image/ArchiveChain.hpp"
#include "image/TibArchive.hpp"
#include "image/TibWriter.hpp"
#include "image/VolumeReader.hpp"
#include "image/capture/VolumeCapture.hpp"
#include "image/restore/VolumeRestore.hpp"

#include "common/Run.hpp"
#include "common/TempDir.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>

using namespace dagda;
using namespace dagda::image;
using dagda::testing::TempDir;

namespace {

// 3 MiB + 1000 bytes: random data, text, a zero gap, and a short last block.
std::string make_volume(const TempDir& dir) {
    std::string bytes(3 * 1024 * 1024 + 1000, '\0');
    std::mt19937 random(42);
    for (std::size_t i = 0; i < 1024 * 1024; ++i) bytes[i] = static_cast<char>(random());
    const std::string text = "The quick brown fox jumps over the lazy dog. ";
    for (std::size_t i = 1024 * 1024; i < 1536 * 1024; ++i) bytes[i] = text[i % text.size()];
    for (std::size_t i = bytes.size() - 1000; i < bytes.size(); ++i) bytes[i] = 'z';
    const std::string path = dir.file("volume.raw");
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

std::string capture(const TempDir& dir, const std::string& source, int level = 3, const std::string& name = "v.tib",
                    std::optional<std::vector<std::uint8_t>> used_bitmap = std::nullopt) {
    const UniqueFd fd = UniqueFd::open(source, O_RDONLY);
    const std::uint64_t size = std::filesystem::file_size(source);
    format::FileHeader header;
    header.generation_id.fill(0x11);
    header.required_features = level ? format::feature_zstd : 0;
    const nlohmann::json generation{{"format", "dagda-tib"}, {"id", format::id_to_hex(header.generation_id)},
                                    {"created", "2026-11-27T00:00:00Z"}, {"host", "test"}, {"kind", "volume"},
                                    {"sector_size", 512}, {"base", nullptr}, {"tool", "test"}};
    const std::string out = dir.file(name);
    TibWriter writer(out, header, generation);
    CaptureOptions options;
    options.level = level;
    options.window_size = 1 << 20;  // the volumes here are laid out in MiB windows (the default is larger)
    VolumeSpec spec;
    spec.filesystem = "test";
    spec.used_bitmap = std::move(used_bitmap);
    const VolumeIndex index = capture_volume(writer, {fd.get(), 0, size, source}, spec, options, nullptr);
    writer.finish({index});
    return out;
}

void restore_to(const std::string& archive, const std::string& target, std::uint64_t size) {
    ArchiveChain chain(archive);
    const UniqueFd fd = UniqueFd::open(target, O_RDWR | O_CREAT);
    REQUIRE(::ftruncate(fd.get(), static_cast<off_t>(size)) == 0);
    restore_volume(chain.chain(), 0, {fd.get(), 0, size, target}, 2, nullptr);
}

void flip_byte(const std::string& path, std::uint64_t offset) {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(static_cast<std::streamoff>(offset));
    char c = 0;
    file.get(c);
    file.seekp(static_cast<std::streamoff>(offset));
    file.put(static_cast<char>(c ^ 0x01));
}

std::string error_opening(const std::string& path) {
    try {
        ArchiveChain chain(path);
        for (const auto& v : chain.newest().volumes()) verify_volume(chain.chain(), v.number, nullptr);
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("TIB: a volume captured and restored is byte-identical - zero blocks are not stored", "[image][archive]") {
    TempDir dir;
    const std::string source = make_volume(dir);
    const int level = GENERATE(0, 3);
    const std::string archive = capture(dir, source, level);
    ArchiveChain chain(archive);
    const auto& volume = chain.newest().volume(0);
    CHECK(volume.block_count() == 769);
    CHECK(volume.used_blocks == 256 + 128 + 1);  // random MiB, text half MiB, the short last block
    CHECK(volume.filesystem == "test");
    CHECK(chain.newest().entry_count(0) == 3);   // windows 0, 1 and 3 hold data; window 2 is all zero
    CHECK(verify_volume(chain.chain(), 0, nullptr) == 3);
    const std::string restored = dir.file("restored.raw");
    restore_to(archive, restored, std::filesystem::file_size(source));
    CHECK(testing::file_digest(restored) == testing::file_digest(source));
    if (level) CHECK(std::filesystem::file_size(archive) < 1024 * 1024 + 200 * 1024);  // random MiB + a little
}

TEST_CASE("TIB: a volume read in place gives the used blocks' bytes and zeros for the rest, past the window cache", "[image][archive]") {
    // 12 windows of 1 MiB, every byte non-zero; the filesystem's bitmap marks a different run of
    // blocks used in each window. The reader keeps 8 windows and refills an evicted one's buffer,
    // so from the ninth window on, a block left out must read as zeros, never as what that
    // buffer held before.
    TempDir dir;
    constexpr std::size_t window = 1 << 20, block = 4096, windows = 12, blocks = windows * window / block;
    std::string bytes(windows * window, '\0');
    std::mt19937 random(7);
    for (char& c : bytes) c = static_cast<char>(random() | 1);
    const std::string source = dir.file("volume.raw");
    std::ofstream(source, std::ios::binary) << bytes;
    std::vector<std::uint8_t> used(blocks / 8, 0);
    std::string expected(bytes.size(), '\0');
    for (std::size_t b = 0; b < blocks; ++b) {
        const std::size_t w = b / (window / block), j = b % (window / block);
        if ((j + w) % 3 == 0 || (w == 10 && j < 200)) {
            used[b / 8] = static_cast<std::uint8_t>(used[b / 8] | (1u << (b % 8)));
            std::memcpy(expected.data() + b * block, bytes.data() + b * block, block);
        }
    }
    const std::string archive = capture(dir, source, GENERATE(0, 3), "v.tib", used);
    ArchiveChain chain(archive);
    VolumeReader reader(chain.chain(), 0);
    REQUIRE(reader.size() == bytes.size());
    // Forward in reads that straddle blocks and windows, then backward (windows 3 to 0 were
    // evicted by then, and are read again into buffers that held other windows).
    std::string got(bytes.size(), '\1');
    for (std::size_t at = 0; at < got.size();) {
        const std::size_t n = std::min<std::size_t>(got.size() - at, 300'007);
        reader.read(at, got.data() + at, n);
        at += n;
    }
    // The first offset that differs (12 MiB strings are too big for a failure message).
    const auto first_difference = [&](const std::string& read) {
        return std::mismatch(read.begin(), read.end(), expected.begin()).first - read.begin();
    };
    CHECK(first_difference(got) == static_cast<std::ptrdiff_t>(expected.size()));
    std::string again(bytes.size(), '\1');
    for (std::size_t w = windows; w-- > 0;) reader.read(w * window, again.data() + w * window, window);
    CHECK(first_difference(again) == static_cast<std::ptrdiff_t>(expected.size()));
    CHECK_THROWS_WITH(reader.read(bytes.size() - 10, got.data(), 11), Catch::Contains("read past the end of volume 0"));
}

TEST_CASE("TIB: restore writes only used blocks and refuses a target that is too small", "[image][archive]") {
    TempDir dir;
    const std::string source = make_volume(dir);
    const std::string archive = capture(dir, source);
    const std::string target = dir.file("target.raw");
    {
        std::ofstream fill(target, std::ios::binary);
        fill << std::string(std::filesystem::file_size(source), '\x5a');
    }
    restore_to(archive, target, std::filesystem::file_size(source));
    // Window 2 was all zero, so not used: the target keeps its own bytes there.
    CHECK(testing::file_range(target, 2 * 1024 * 1024, 16) == std::string(16, '\x5a'));
    CHECK(testing::file_range(target, 0, 4096) == testing::file_range(source, 0, 4096));

    const std::string small = dir.file("small.raw");
    ArchiveChain chain(archive);
    const UniqueFd fd = UniqueFd::open(small, O_RDWR | O_CREAT);
    REQUIRE(::ftruncate(fd.get(), 1024 * 1024) == 0);
    try {
        restore_volume(chain.chain(), 0, {fd.get(), 0, 1024 * 1024, small}, 2, nullptr);
        FAIL("a small target was accepted");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::refused);
        CHECK_THAT(e.what(), Catch::Contains("has only 1048576 bytes"));
    }
    CHECK(testing::file_range(small, 0, 4096) == std::string(4096, '\0'));  // nothing was written
}

TEST_CASE("TIB: damage anywhere is refused, naming the archive and the place", "[image][archive][corrupt]") {
    TempDir dir;
    const std::string source = make_volume(dir);
    const std::string archive = capture(dir, source);
    const std::uint64_t size = std::filesystem::file_size(archive);
    ArchiveChain clean(archive);
    const auto trailer = clean.newest().trailer();
    struct Damage {
        const char* what;
        std::uint64_t offset;
        const char* message;
    };
    const Damage d = GENERATE_COPY(
        Damage{"file header", 20, "file header CRC mismatch"},
        Damage{"GENR payload", 64 + 24 + 5, "GENR record payload CRC mismatch"},
        Damage{"first chunk header", 0, "record header CRC"},
        Damage{"chunk data", 1, "chunk"},
        Damage{"VOLM payload", trailer.volumes_offset + 24 + 3, "VOLM record payload CRC mismatch"},
        Damage{"index entry", trailer.index_offset + 24 + 16 + 30, "INDX record payload CRC mismatch"},
        Damage{"trailer", size - 20, "trailer CRC mismatch"});
    CAPTURE(d.what);
    std::uint64_t offset = d.offset;
    if (std::string(d.what) == "first chunk header") offset = clean.newest().entries(0).next()->chunk_offset + 9;
    if (std::string(d.what) == "chunk data") offset = clean.newest().entries(0).next()->chunk_offset + 24 + 56 + 2 + 100;
    const std::string damaged = dir.file("damaged.tib");
    REQUIRE(testing::run("cp " + testing::sh_quote(archive) + " " + testing::sh_quote(damaged)).exit_code == 0);
    flip_byte(damaged, offset);
    const std::string error = error_opening(damaged);
    CHECK_THAT(error, Catch::Contains(damaged));
    CHECK_THAT(error, Catch::Contains(d.message));
}

TEST_CASE("TIB: a truncated or extended archive is refused", "[image][archive][corrupt]") {
    TempDir dir;
    const std::string archive = capture(dir, make_volume(dir));
    const std::uint64_t size = std::filesystem::file_size(archive);
    SECTION("truncated by one byte") {
        std::filesystem::resize_file(archive, size - 1);
        CHECK_THAT(error_opening(archive), Catch::Contains("no TIB trailer"));
    }
    SECTION("cut in the middle") {
        std::filesystem::resize_file(archive, size / 2);
        CHECK_THAT(error_opening(archive), Catch::Contains("no TIB trailer"));
    }
    SECTION("a byte appended") {
        std::ofstream(archive, std::ios::app | std::ios::binary) << 'x';
        CHECK_THAT(error_opening(archive), Catch::Contains("no TIB trailer"));
    }
    SECTION("empty") {
        std::filesystem::resize_file(archive, 0);
        CHECK_THAT(error_opening(archive), Catch::Contains("too small to be a TIB archive"));
    }
}

TEST_CASE("TIB: a chunk moved to another window fails its digest", "[image][archive][corrupt]") {
    // Two windows with the same used-block pattern: swapping their index entries' chunk offsets
    // keeps every CRC valid, and only the binding of the digest to the window catches it.
    TempDir dir;
    std::string bytes(2 * 1024 * 1024, 'a');
    std::fill(bytes.begin() + 1024 * 1024, bytes.end(), 'b');
    const std::string source = dir.file("two.raw");
    std::ofstream(source, std::ios::binary) << bytes;
    const std::string archive = capture(dir, source, 0);
    ArchiveChain chain(archive);
    auto cursor = chain.newest().entries(0);
    const auto first = cursor.next();
    const auto second = cursor.next();
    REQUIRE(second.has_value());
    // Overwrite chunk 1's window field with 0 in place (its header has no CRC of its own payload).
    std::fstream file(archive, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(second->chunk_offset + 24 + 8));
    file.put('\0');
    file.close();
    CHECK_THAT(error_opening(archive), Catch::Contains("chunk does not match its index entry"));
}

TEST_CASE("TIB: a record that declares more bytes than the archive holds is refused before allocating", "[image][archive][corrupt]") {
    TempDir dir;
    const std::string archive = capture(dir, make_volume(dir));
    // The GENR record header is at offset 64: give it a payload size of 1 TiB and a valid CRC,
    // as a hostile or damaged writer would.
    std::string bytes = testing::file_bytes(archive);
    auto* header = reinterpret_cast<std::uint8_t*>(bytes.data()) + 64;
    dagda::store_le(header + 8, std::uint64_t{1} << 40);
    dagda::store_le(header + 20, static_cast<std::uint32_t>(::crc32(::crc32(0L, Z_NULL, 0), header, 20)));
    std::ofstream(archive, std::ios::binary | std::ios::trunc) << bytes;
    CHECK_THAT(error_opening(archive), Catch::Contains("more than the 64 MiB limit"));
}
