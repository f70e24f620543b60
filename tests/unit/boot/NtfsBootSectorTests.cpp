// The NTFS boot sector fix on volumes made by mkntfs, written back into the volume file and read
// with od and ntfsinfo.
#include "windows/boot/NtfsBootSector.hpp"

#include "common/Run.hpp"
#include "common/TempDir.hpp"
#include "core/Error.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>

using namespace dagda::windows::boot;
using Catch::Matchers::Contains;
namespace testing = dagda::testing;

namespace {

constexpr std::uint64_t volume_bytes = 64ull * 1024 * 1024;

// A 64 MiB NTFS volume file made by mkntfs with the given start and geometry; empty when mkntfs
// is missing.
std::string make_volume(const testing::TempDir& dir, unsigned start, unsigned heads, unsigned sectors) {
    if (!testing::have_program("mkntfs")) return {};
    const std::string path = testing::make_image(dir, "volume.img", volume_bytes);
    const std::string command = "mkntfs -F -Q -q -p " + std::to_string(start) + " -H " + std::to_string(heads) + " -S " +
                                std::to_string(sectors) + " " + testing::sh_quote(path);
    const testing::RunResult made = testing::run(command);
    REQUIRE(made.exit_code == 0);
    return path;
}

std::vector<std::uint8_t> read_sector(const std::string& path, std::uint64_t offset) {
    const std::string bytes = testing::file_range(path, offset, ntfs_boot_sector_size);
    return {bytes.begin(), bytes.end()};
}

void write_sector(const std::string& path, std::uint64_t offset, const std::vector<std::uint8_t>& sector) {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(offset));
    file.write(reinterpret_cast<const char*>(sector.data()), static_cast<std::streamsize>(sector.size()));
    REQUIRE(file.good());
}

// An unsigned number of `size` bytes at `offset` of the file, as od prints it.
std::uint64_t od_number(const std::string& path, std::uint64_t offset, unsigned size) {
    const testing::RunResult out = testing::run("od -An -tu" + std::to_string(size) + " -j " + std::to_string(offset) +
                                                " -N " + std::to_string(size) + " " + testing::sh_quote(path));
    REQUIRE(out.exit_code == 0);
    return std::stoull(out.out);
}

std::vector<std::string> lines(const std::vector<BootSectorChange>& changes) {
    std::vector<std::string> out;
    for (const BootSectorChange& change : changes) out.push_back(change.describe());
    return out;
}

}  // namespace

TEST_CASE("NtfsBootSector: the fields mkntfs wrote, and its backup where the volume ends", "[boot][ntfs]") {
    testing::TempDir dir;
    const std::string volume = make_volume(dir, 2048, 255, 63);
    if (volume.empty()) FAIL("missing: mkntfs is not installed");
    const auto sector = read_sector(volume, 0);
    const NtfsBootSector boot = parse_ntfs_boot_sector(sector);
    CHECK(boot.bytes_per_sector == 512);
    CHECK(boot.cluster_size == 4096);
    CHECK(boot.sectors_per_track == 63);
    CHECK(boot.heads == 255);
    CHECK(boot.hidden_sectors == 2048);
    CHECK(boot.total_sectors == volume_bytes / 512 - 1);
    CHECK(boot.backup_offset() == volume_bytes - 512);
    CHECK(read_sector(volume, boot.backup_offset()) == sector);
    CHECK(plan_boot_sector_fix(sector, 2048).empty());
}

TEST_CASE("NtfsBootSector: a moved volume gets its start and geometry in both copies", "[boot][ntfs]") {
    testing::TempDir dir;
    const std::string volume = make_volume(dir, 2048, 255, 63);
    if (volume.empty()) FAIL("missing: mkntfs is not installed");
    const auto original = read_sector(volume, 0);
    const std::uint64_t backup = parse_ntfs_boot_sector(original).backup_offset();
    const DiskGeometry geometry{240, 63};

    const auto planned = plan_boot_sector_fix(original, 1050624, geometry);
    CHECK(lines(planned) == std::vector<std::string>{"heads (0x1A): 255 -> 240", "hidden sectors (0x1C): 2048 -> 1050624"});
    for (const std::uint64_t offset : {std::uint64_t{0}, backup}) {
        auto sector = read_sector(volume, offset);
        CHECK(lines(apply_boot_sector_fix(sector, 1050624, geometry)) == lines(planned));
        write_sector(volume, offset, sector);
    }
    for (const std::uint64_t offset : {std::uint64_t{0}, backup}) {
        INFO("boot sector at byte " << offset);
        CHECK(od_number(volume, offset + 0x18, 2) == 63);
        CHECK(od_number(volume, offset + 0x1A, 2) == 240);
        CHECK(od_number(volume, offset + 0x1C, 4) == 1050624);
        // Nothing else changed: the 6 bytes at 0x18 are the only difference.
        auto now = read_sector(volume, offset);
        auto before = original;
        std::memset(now.data() + 0x18, 0, 8);
        std::memset(before.data() + 0x18, 0, 8);
        CHECK(now == before);
    }
    // libntfs-3g still opens the volume, and a second plan has nothing left to do.
    CHECK(testing::run("ntfsinfo -m " + testing::sh_quote(volume)).exit_code == 0);
    CHECK(plan_boot_sector_fix(read_sector(volume, 0), 1050624, geometry).empty());
}

TEST_CASE("NtfsBootSector: the default geometry is 255 heads and 63 sectors per track", "[boot][ntfs]") {
    testing::TempDir dir;
    const std::string volume = make_volume(dir, 63, 64, 32);
    if (volume.empty()) FAIL("missing: mkntfs is not installed");
    auto sector = read_sector(volume, 0);
    CHECK(lines(apply_boot_sector_fix(sector, 2048)) ==
          std::vector<std::string>{"sectors per track (0x18): 32 -> 63", "heads (0x1A): 64 -> 255", "hidden sectors (0x1C): 63 -> 2048"});
    const NtfsBootSector fixed = parse_ntfs_boot_sector(sector);
    CHECK(fixed.sectors_per_track == 63);
    CHECK(fixed.heads == 255);
    CHECK(fixed.hidden_sectors == 2048);
}

TEST_CASE("NtfsBootSector: what is not an NTFS boot sector, or cannot be fixed, is refused", "[boot][ntfs]") {
    testing::TempDir dir;
    const std::string volume = make_volume(dir, 2048, 255, 63);
    if (volume.empty()) FAIL("missing: mkntfs is not installed");
    const auto ntfs = read_sector(volume, 0);
    std::vector<std::uint8_t> sector;
    SECTION("zeros") {
        sector.assign(512, 0);
        CHECK_THROWS_WITH(parse_ntfs_boot_sector(sector), Contains("not an NTFS boot sector") && Contains("OEM id"));
    }
    SECTION("a FAT boot sector") {
        sector = ntfs;
        std::memcpy(sector.data() + 3, "MSDOS5.0", 8);
        CHECK_THROWS_WITH(plan_boot_sector_fix(sector, 2048), Contains("not an NTFS boot sector: its OEM id"));
    }
    SECTION("no 55 AA") {
        sector = ntfs;
        sector[0x1FF] = 0;
        CHECK_THROWS_WITH(parse_ntfs_boot_sector(sector), Contains("does not end in 55 AA"));
    }
    SECTION("a bad sector size") {
        sector = ntfs;
        sector[0x0B] = 0x00;
        sector[0x0C] = 0x03;
        CHECK_THROWS_WITH(parse_ntfs_boot_sector(sector), Contains("bytes per sector is 768"));
    }
    SECTION("a bad cluster size") {
        sector = ntfs;
        sector[0x0D] = 0;
        CHECK_THROWS_WITH(parse_ntfs_boot_sector(sector), Contains("sectors-per-cluster byte 0x00 is invalid"));
    }
    SECTION("too short") {
        sector.assign(ntfs.begin(), ntfs.begin() + 100);
        CHECK_THROWS_WITH(parse_ntfs_boot_sector(sector), Contains("100 bytes given"));
    }
    SECTION("a start past the 32-bit hidden sectors, or a geometry BIOS cannot have; nothing is changed") {
        sector = ntfs;
        CHECK_THROWS_WITH(apply_boot_sector_fix(sector, 0x100000000ull), Contains("32-bit hidden sectors"));
        CHECK_THROWS_WITH(apply_boot_sector_fix(sector, 4096, DiskGeometry{0, 63}), Contains("0 heads"));
        CHECK_THROWS_WITH(apply_boot_sector_fix(sector, 4096, DiskGeometry{255, 64}), Contains("64 sectors per track"));
        CHECK(sector == ntfs);
        return;
    }
    CHECK_THROWS_AS(apply_boot_sector_fix(sector, 2048), dagda::Error);
}

TEST_CASE("NtfsBootSector: clusters over 64 KiB use the negative power of two", "[boot][ntfs]") {
    testing::TempDir dir;
    const std::string volume = make_volume(dir, 2048, 255, 63);
    if (volume.empty()) FAIL("missing: mkntfs is not installed");
    auto sector = read_sector(volume, 0);
    sector[0x0D] = 0xF4;  // 2^12 sectors of 512 bytes: 2 MiB clusters
    CHECK(parse_ntfs_boot_sector(sector).cluster_size == 2u * 1024 * 1024);
    sector[0x0D] = 0xF3;  // 4 MiB: larger than NTFS allows
    CHECK_THROWS_WITH(parse_ntfs_boot_sector(sector), Contains("0xF3 is invalid"));
}
