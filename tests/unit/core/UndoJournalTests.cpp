// The undo journal on a plain file: overlapping regions saved once, guarded writes through
// write_exact, and a replay that leaves every byte as it was before the first write; and on a
// block device (a helper VM's journal volume), where the records end at a mark.

#include "core/Error.hpp"
#include "core/UndoJournal.hpp"
#include "core/UniqueFd.hpp"

#include "common/LoopDevice.hpp"
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

TEST_CASE("Undo journal on a block device: new while zero, records end at a mark, a torn last record ignored, data never overwritten",
          "[core][undo][root][loop]") {
    testing::TempDir dir;
    const std::string disk = dir.file("disk.img"), device_image = dir.file("journal.img");
    std::string original(1 << 20, '\0');
    for (std::size_t i = 0; i < original.size(); ++i) original[i] = static_cast<char>(i * 5 + 1);
    std::ofstream(disk, std::ios::binary) << original;
    std::ofstream(device_image).close();
    std::filesystem::resize_file(device_image, 4u << 20);  // a fresh volume: all zero
    testing::LoopDevice device(device_image);
    if (!device) {
        WARN("skipped: needs root and a free loop device");
        return;
    }
    const std::string journal = device.path();
    const auto write_at = [&](std::uint64_t offset, char value, std::size_t length) {
        const UniqueFd fd = UniqueFd::open(disk, O_RDWR);
        const std::string bytes(length, value);
        write_exact(fd.get(), bytes.data(), bytes.size(), offset, "disk");
    };
    // Two runs (two jobs of a helper), each appending after the other's records.
    for (const std::uint64_t offset : {std::uint64_t{1000}, std::uint64_t{600000}}) {
        UndoJournal undo(journal, disk);
        set_undo_journal(&undo);
        write_at(offset, '\7', 5000);
        write_at(offset + 2000, '\10', 5000);
        set_undo_journal(nullptr);
    }
    CHECK(testing::file_bytes(disk) != original);
    const UndoReport dry = undo_journal(journal, disk, true);
    CHECK(dry.regions == 4);
    CHECK(dry.bytes == 2 * (5000 + 2000));
    CHECK_FALSE(dry.torn_tail);

    // A record cut short as it was saved (its data half written, the end mark not yet): the last
    // one, ignored; and the next run writes over it.
    std::string tail = testing::file_range(device_image, 0, 4u << 20);
    std::uint64_t end = 21;  // header, then the records, to the first head of zeros
    while (tail.compare(end, 16, std::string(16, '\0')) != 0) {
        std::uint32_t length = 0;
        for (int i = 3; i >= 0; --i) length = (length << 8) | static_cast<unsigned char>(tail[end + 8 + i]);
        end += 16 + length;
    }
    {
        std::fstream torn(device_image, std::ios::in | std::ios::out | std::ios::binary);
        torn.seekp(static_cast<std::streamoff>(end));
        const char head[16] = {0, 0, 2, 0, 0, 0, 0, 0, 0, 16, 0, 0, 1, 2, 3, 4};  // 4096 bytes at 131072, a wrong CRC
        torn.write(head, sizeof head);
        torn.write(std::string(100, 'x').data(), 100);
    }
    ::sync();
    CHECK(undo_journal(journal, disk, true).torn_tail);
    {
        UndoJournal undo(journal, disk);
        set_undo_journal(&undo);
        write_at(300000, '\11', 100);
        set_undo_journal(nullptr);
    }
    const UndoReport report = undo_journal(journal, disk, false);
    CHECK(report.regions == 5);
    CHECK_FALSE(report.torn_tail);
    CHECK(testing::file_bytes(disk) == original);

    // A device that holds anything but a journal is never written over.
    std::ofstream(dir.file("data.img")).close();
    std::filesystem::resize_file(dir.file("data.img"), 4u << 20);
    {
        std::fstream data(dir.file("data.img"), std::ios::in | std::ios::out | std::ios::binary);
        data.write("NTFS    ", 8);
    }
    // Nor is the disk it guards ever its journal, even blank.
    std::ofstream(dir.file("blank.img")).close();
    std::filesystem::resize_file(dir.file("blank.img"), 4u << 20);
    testing::LoopDevice blank(dir.file("blank.img"));
    REQUIRE(blank);
    CHECK_THROWS_WITH(UndoJournal(blank.path(), blank.path()), Catch::Contains("itself"));
    CHECK(testing::file_range(dir.file("blank.img"), 0, 16) == std::string(16, '\0'));
    testing::LoopDevice holds_data(dir.file("data.img"));
    REQUIRE(holds_data);
    CHECK_THROWS_WITH(UndoJournal(holds_data.path(), disk), Catch::Contains("is not an undo journal"));
    CHECK(testing::file_range(dir.file("data.img"), 0, 8) == "NTFS    ");
}
