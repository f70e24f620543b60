#pragma once
/// Changing an NTFS inside a disk image the way a running server would between two backups,
/// with ntfs-3g's own tools (ntfscp works on a whole device or file, so the partition is taken
/// out and put back): what makes a test's next backup generation differ from the last.

#include "common/Run.hpp"
#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <sstream>
#include <string>
#include <utility>

namespace dagda::testing {

/// Partition `number` of a disk image: its first sector and its length in sectors (sfdisk's reading).
inline std::pair<std::uint64_t, std::uint64_t> partition_extent(const std::string& disk, int number) {
    const std::string where = run("sfdisk --dump " + sh_quote(disk) + " | awk -F'[=,]' '/" + std::to_string(number) + " :/ {print $2, $4}'").out;
    std::istringstream numbers(where);
    std::uint64_t start = 0, sectors = 0;
    REQUIRE(numbers >> start >> sectors);
    return {start, sectors};
}

/// Copies a new file of `bytes` random bytes, named `file`, into the NTFS at sectors
/// [start, start + sectors) of `disk`.
inline void add_random_file(const TempDir& dir, const std::string& disk, std::uint64_t start, std::uint64_t sectors, const std::string& file,
                            std::uint64_t bytes) {
    const std::string part = dir.file("part.raw");
    const std::string content = dir.file("content.bin");
    const std::string where = " bs=512 count=" + std::to_string(sectors) + " status=none";
    REQUIRE(run("dd if=" + sh_quote(disk) + " of=" + sh_quote(part) + " skip=" + std::to_string(start) + where).exit_code == 0);
    REQUIRE(run("head -c " + std::to_string(bytes) + " /dev/urandom > " + sh_quote(content)).exit_code == 0);
    const RunResult copied = run("ntfscp -f " + sh_quote(part) + " " + sh_quote(content) + " /" + file);
    INFO(copied.err);
    REQUIRE(copied.exit_code == 0);
    REQUIRE(run("dd if=" + sh_quote(part) + " of=" + sh_quote(disk) + " seek=" + std::to_string(start) + " conv=notrunc" + where).exit_code == 0);
    REQUIRE(run("rm -f " + sh_quote(part) + " " + sh_quote(content)).exit_code == 0);
}

}  // namespace dagda::testing
