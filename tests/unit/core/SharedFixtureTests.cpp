// Issue 13 item 19: the tests find their shared fixtures in $DAGDA_SHARED_DIR (else ../shared
// beside the repository) and nowhere else, a missing fixture fails the test that needs it, and
// the repository names no folder of one particular machine.

#include "common/Run.hpp"
#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <optional>

using namespace dagda::testing;

namespace {

/// Sets an environment variable for one scope, and puts the old value back.
class ScopedEnvironment {
public:
    ScopedEnvironment(const char* name, const std::string& value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        ::setenv(name, value.c_str(), 1);
    }
    ~ScopedEnvironment() {
        if (old_) ::setenv(name_, old_->c_str(), 1);
        else ::unsetenv(name_);
    }

private:
    const char* name_;
    std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("shared fixtures: a missing one fails the test, it is looked for in DAGDA_SHARED_DIR only", "[core][fixtures]") {
    TempDir dir;
    write_file(dir.path() / "shared/fixtures/hives/some-hive", "regf");
    const ScopedEnvironment shared("DAGDA_SHARED_DIR", (dir.path() / "shared").string());
    CHECK(shared_fixture(dir, "hives/some-hive") == (dir.path() / "shared/fixtures/hives/some-hive").string());
    CHECK_THROWS_WITH(shared_fixture(dir, "disks/mbr-two-ntfs.raw.xz"),
                      Catch::Contains("is missing") && Catch::Contains((dir.path() / "shared/fixtures/disks").string()));
}

TEST_CASE("the repository names no folder of one particular machine", "[core][fixtures]") {
    REQUIRE(have_program("git"));
    // The patterns are put together here so that this file does not match them itself.
    const std::string slash = "/";
    std::string patterns;
    for (const char* folder : {"work", "root", "home"}) patterns += " -e " + sh_quote(slash + folder + slash);
    const RunResult found = run("git -C " + sh_quote(DAGDA_SOURCE_DIR) + " grep -n -I" + patterns + " -- .");
    INFO(found.out << found.err);
    CHECK(found.exit_code == 1);  // git grep: 1 = no line matched (0 = some did, 128 = not a repository)
}
