// libntfs-3g on real NTFS volumes made by Windows (shared fixtures) and by mkntfs.

#include "core/Error.hpp"
#include "core/UniqueFd.hpp"
#include "windows/ntfs/NtfsVolume.hpp"

#include "common/Run.hpp"
#include "common/TempDir.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>

#include <bit>

using namespace dagda;
using namespace dagda::windows::ntfs;
using dagda::testing::TempDir;

namespace {

std::uint64_t count_bits(const std::vector<std::uint8_t>& bitmap) {
    std::uint64_t total = 0;
    for (const std::uint8_t byte : bitmap) total += static_cast<std::uint64_t>(std::popcount(byte));
    return total;
}

bool bit(const std::vector<std::uint8_t>& bitmap, std::uint64_t i) { return (bitmap[i / 8] >> (i % 8)) & 1; }

}  // namespace

TEST_CASE("NTFS: used clusters of a volume formatted by Windows", "[windows][ntfs]") {
    TempDir dir;
    const std::string image = testing::shared_fixture(dir, "disks/ntfs-volume.img.xz");
    const UniqueFd fd = UniqueFd::open(image, O_RDONLY);
    const std::uint64_t size = std::filesystem::file_size(image);
    const NtfsVolume volume(fd.get(), 0, size, image, Access::read_only);
    CHECK(volume.cluster_size() == 4096);
    CHECK(volume.cluster_count() <= size / 4096);
    const UsedBlocks used = ntfs_used_blocks(fd.get(), 0, size, image);
    CHECK(used.block_size == 4096);
    CHECK(used.bitmap.size() == (size / 4096 + 7) / 8);
    CHECK(bit(used.bitmap, 0));                       // the boot sector's cluster
    CHECK(bit(used.bitmap, (size - 1) / 4096));       // the backup boot sector in the last sector
    CHECK(count_bits(used.bitmap) < size / 4096);     // free clusters are left out
}

TEST_CASE("NTFS: a volume inside a disk image is read at its offset", "[windows][ntfs]") {
    TempDir dir;
    const std::string disk = testing::shared_fixture(dir, "disks/mbr-two-ntfs.raw.xz");
    const UniqueFd fd = UniqueFd::open(disk, O_RDONLY);
    const UsedBlocks used = ntfs_used_blocks(fd.get(), 55424ull * 512, 61440ull * 512, "partition 2");
    CHECK(count_bits(used.bitmap) > 10);
    CHECK(bit(used.bitmap, 0));
}

TEST_CASE("NTFS: something that is not NTFS is refused with libntfs-3g's reason", "[windows][ntfs]") {
    TempDir dir;
    const std::string blank = testing::make_image(dir, "blank.raw", 8 << 20);
    const UniqueFd fd = UniqueFd::open(blank, O_RDONLY);
    CHECK_THROWS_WITH(NtfsVolume(fd.get(), 0, 8 << 20, "blank.raw", Access::read_only), Catch::Contains("cannot open NTFS on blank.raw"));
}

TEST_CASE("NTFS: mkntfs volume with files, clusters of 512 bytes", "[windows][ntfs]") {
    if (!testing::have_program("mkntfs")) FAIL("missing: mkntfs (ntfs-3g) is not installed");
    TempDir dir;
    const std::string image = testing::make_image(dir, "small.raw", 16 << 20);
    REQUIRE(testing::run("mkntfs -q -F -Q -c 512 -L SMALL " + testing::sh_quote(image)).exit_code == 0);
    const UniqueFd fd = UniqueFd::open(image, O_RDONLY);
    const UsedBlocks used = ntfs_used_blocks(fd.get(), 0, 16 << 20, image);
    CHECK(used.block_size == 512);
    CHECK(bit(used.bitmap, (16 << 20) / 512 - 1));
}
