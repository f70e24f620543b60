// The job journal: records survive, a torn or damaged tail is ignored and overwritten.

#include "core/Error.hpp"
#include "jobs/Journal.hpp"

#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace dagda;
using dagda::jobs::Journal;
using dagda::jobs::read_journal;
using dagda::testing::TempDir;

namespace {

void cut(const std::string& path, std::uintmax_t size) { std::filesystem::resize_file(path, size); }

void flip(const std::string& path, std::uintmax_t offset) {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(static_cast<std::streamoff>(offset));
    char byte = 0;
    file.read(&byte, 1);
    file.seekp(static_cast<std::streamoff>(offset));
    byte = static_cast<char>(byte ^ 0x20);
    file.write(&byte, 1);
}

}  // namespace

TEST_CASE("Journal: records are read back in order", "[jobs][journal]") {
    TempDir dir;
    const std::string path = dir.file("job.journal");
    CHECK(read_journal(path).records.empty());  // no file yet
    {
        Journal journal(path);
        journal.append({{"type", "job"}, {"n", 1}});
        journal.append({{"type", "step_started"}, {"step", 0}});
    }
    Journal reopened(path);
    REQUIRE(reopened.opened().records.size() == 2);
    CHECK(reopened.opened().records[1]["type"] == "step_started");
    CHECK(reopened.opened().ignored_bytes == 0);
    reopened.append({{"type", "step_finished"}, {"step", 0}});
    CHECK(read_journal(path).records.size() == 3);
}

TEST_CASE("Journal: a torn tail is ignored, never trusted, and overwritten by the next record", "[jobs][journal]") {
    TempDir dir;
    const std::string path = dir.file("job.journal");
    {
        Journal journal(path);
        journal.append({{"type", "job"}});
        journal.append({{"type", "step_finished"}, {"step", 0}});
    }
    const std::uintmax_t whole = std::filesystem::file_size(path);
    const std::uintmax_t first_two = read_journal(path).valid_bytes;
    CHECK(first_two == whole);

    SECTION("cut inside the last record") {
        cut(path, whole - 3);
        const auto contents = read_journal(path);
        CHECK(contents.records.size() == 1);
        CHECK(contents.ignored_bytes > 0);
    }
    SECTION("a byte of the last record flipped (CRC)") {
        flip(path, whole - 5);
        CHECK(read_journal(path).records.size() == 1);
    }
    SECTION("a length field gone wild") {
        {
            std::ofstream out(path, std::ios::binary | std::ios::app);
            out << std::string("\xff\xff\xff\x7f\0\0\0\0{}", 10);
        }
        CHECK(read_journal(path).records.size() == 2);
    }
    Journal reopened(path);
    reopened.append({{"type", "step_started"}, {"step", 1}});
    const auto after = read_journal(path);
    CHECK(after.ignored_bytes == 0);
    CHECK(after.records.back()["type"] == "step_started");
}

TEST_CASE("Journal: a file that is not a journal is refused, not overwritten", "[jobs][journal]") {
    TempDir dir;
    const std::string path = dir.file("important.txt");
    std::ofstream(path) << "this is somebody's file, not a journal\n";
    CHECK_THROWS_WITH(Journal(path), Catch::Contains("not a dagda job journal"));
    CHECK(std::filesystem::file_size(path) == 39);
    // Shorter than a journal's header, and still not one.
    const std::string notes = dir.file("notes.txt");
    std::ofstream(notes) << "my notes\n";
    CHECK_THROWS_WITH(Journal(notes), Catch::Contains("not a dagda job journal"));
    CHECK(std::filesystem::file_size(notes) == 9);
}

TEST_CASE("Journal: a version 1 journal is read and becomes version 2 when appended to, a newer one is refused", "[jobs][journal]") {
    TempDir dir;
    const std::string path = dir.file("old.journal");
    {
        Journal journal(path);
        journal.append({{"type", "job"}, {"plan", {{"dagda_plan", 1}}}});
        journal.append({{"type", "step_finished"}, {"step", 0}, {"seconds", 1.5}});
    }
    const auto set_version = [&path](char version) {
        std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(8);
        file.write(&version, 1);
    };
    set_version(1);  // what dagda wrote before steps recorded what they left
    const auto old = read_journal(path);
    CHECK(old.version == 1);
    CHECK(old.records.size() == 2);
    {
        Journal reopened(path);
        CHECK(reopened.opened().records.size() == 2);
        reopened.append({{"type", "job_finished"}});
    }
    const auto upgraded = read_journal(path);
    CHECK(upgraded.version == 2);
    CHECK(upgraded.records.size() == 3);

    set_version(3);
    const auto size = std::filesystem::file_size(path);
    CHECK_THROWS_WITH(Journal(path), Catch::Contains("journal version 3 is not supported (this dagda reads versions 1 to 2)"));
    CHECK(std::filesystem::file_size(path) == size);
}
