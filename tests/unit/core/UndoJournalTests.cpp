// The undo journal on a plain file: overlapping regions saved once, guarded writes through
// write_exact, and a replay that leaves every byte as it was before the first write.

#include "core/Error.hpp"
#include "core/UndoJournal.hpp"
#include "core/UniqueFd.hpp"

#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>

#include <filesystem>
#include <fstream>

using namespace dagda;

TEST_CASE("Undo journal: guarded writes, saved once, undone byte for byte", "[core][undo]") {
    testing::TempDir dir;
    const std::string disk = dir.file("disk.img"), journal = dir.file("disk.undo");
    std::string original(1 << 20, '\0');
    for (std::size_t i = 0; i < original.size(); ++i) original[i] = static_cast<char>(i * 7 + 3);
    std::ofstream(disk, std::ios::binary) << original;
    {
        UndoJournal undo(journal, disk);
        set_undo_journal(&undo);
        const UniqueFd fd = UniqueFd::open(disk, O_RDWR);
        const std::string ones(4096, '\1'), twos(8192, '\2');
        write_exact(fd.get(), ones.data(), ones.size(), 1000, "disk");
        write_exact(fd.get(), twos.data(), twos.size(), 3000, "disk");   // overlaps the first: only its new part is saved
        write_exact(fd.get(), ones.data(), ones.size(), 1000, "disk");   // saved already: nothing more
        CHECK(undo.saved_bytes() == 3000 + 8192 - 1000);
        set_undo_journal(nullptr);
    }
    CHECK(testing::file_bytes(disk) != original);
    const UndoReport dry = undo_journal(journal, disk, true);
    CHECK(dry.regions == 2);
    CHECK(testing::file_bytes(disk) != original);
    const UndoReport report = undo_journal(journal, disk, false);
    CHECK(report.bytes == 3000 + 8192 - 1000);
    CHECK_FALSE(report.torn_tail);
    CHECK(testing::file_bytes(disk) == original);

    // Another run appending to the same journal: the first before-image still wins.
    {
        UndoJournal undo(journal, disk);
        set_undo_journal(&undo);
        const UniqueFd fd = UniqueFd::open(disk, O_RDWR);
        const std::string threes(100, '\3');
        write_exact(fd.get(), threes.data(), threes.size(), 500000, "disk");
        set_undo_journal(nullptr);
    }
    undo_journal(journal, disk, false);
    CHECK(testing::file_bytes(disk) == original);
    // A file of another size is refused, before anything is written.
    std::filesystem::resize_file(disk, 4096);
    CHECK_THROWS_WITH(undo_journal(journal, disk, false), Catch::Contains("was made for a target of 1048576 bytes"));
    CHECK_THROWS_WITH(UndoJournal(journal, disk), Catch::Contains("was made for a target of 1048576 bytes"));
}
