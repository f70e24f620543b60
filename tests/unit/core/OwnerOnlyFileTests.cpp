// Files that hold secrets: mode 0600 whatever the umask, a new file each time (never written
// through a link or into a file someone else left at the name), and the durable kind replaced
// whole or not at all.

#include "core/Error.hpp"
#include "core/OwnerOnlyFile.hpp"

#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace dagda;
namespace fs = std::filesystem;

namespace {

unsigned mode_of(const std::string& path) {
    struct stat status {};
    REQUIRE(::lstat(path.c_str(), &status) == 0);
    return status.st_mode & 07777;
}

/// Runs `body` with the process's umask set to `mask`, then puts the old one back.
template <typename Body>
void with_umask(mode_t mask, Body body) {
    const mode_t old = ::umask(mask);
    try {
        body();
    } catch (...) {
        ::umask(old);
        throw;
    }
    ::umask(old);
}

}  // namespace

TEST_CASE("Owner-only files: mode 0600 under any umask, never through a link, replaced whole", "[core][secrets]") {
    testing::TempDir dir;
    const std::string file = dir.file("token"), elsewhere = dir.file("elsewhere");

    SECTION("scratch and durable are 0600 even with an open umask") {
        with_umask(0, [&] {
            write_owner_only(file, "secret\n");
            write_owner_only(file + ".kept", "kept\n", Durability::durable);
        });
        CHECK(mode_of(file) == 0600);
        CHECK(mode_of(file + ".kept") == 0600);
        CHECK(testing::file_bytes(file) == "secret\n");
        CHECK(testing::file_bytes(file + ".kept") == "kept\n");
        CHECK_FALSE(fs::exists(file + ".kept.new"));
    }
    SECTION("a file another left at the name, readable by all, is replaced by a new one") {
        std::ofstream(file) << "old and longer than the new";
        fs::permissions(file, fs::perms::all);
        write_owner_only(file, "new");
        CHECK(mode_of(file) == 0600);
        CHECK(testing::file_bytes(file) == "new");
        write_owner_only(file, "durable", Durability::durable);
        CHECK(mode_of(file) == 0600);
        CHECK(testing::file_bytes(file) == "durable");
    }
    SECTION("a link at the name is replaced, and what it pointed to is untouched") {
        std::ofstream(elsewhere) << "not yours";
        fs::create_symlink(elsewhere, file);
        write_owner_only(file, "secret");
        CHECK_FALSE(fs::is_symlink(file));
        CHECK(testing::file_bytes(file) == "secret");
        CHECK(testing::file_bytes(elsewhere) == "not yours");
        // The durable kind writes PATH.new: a link planted there is not followed either.
        fs::create_symlink(elsewhere, file + ".new");
        write_owner_only(file, "kept", Durability::durable);
        CHECK(testing::file_bytes(file) == "kept");
        CHECK(testing::file_bytes(elsewhere) == "not yours");
        CHECK_FALSE(fs::exists(file + ".new"));
    }
    SECTION("a durable write that cannot be put in place leaves the old file and no .new") {
        write_owner_only(file, "old", Durability::durable);
        // A folder at the name: the rename over it fails after the new file was written.
        const std::string folder = dir.file("folder");
        fs::create_directories(folder + "/inside");
        CHECK_THROWS_WITH(write_owner_only(folder, "new", Durability::durable), Catch::Contains("cannot put " + folder + " in place"));
        CHECK_FALSE(fs::exists(folder + ".new"));
        CHECK(fs::is_directory(folder + "/inside"));
        CHECK(testing::file_bytes(file) == "old");
    }
    SECTION("a folder that does not exist is named in the error") {
        CHECK_THROWS_WITH(write_owner_only(dir.file("no/such/token"), "x"),
                          Catch::Contains("cannot write " + dir.file("no/such/token")) && Catch::Contains("No such file or directory"));
    }
}
