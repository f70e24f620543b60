// Editing Windows volumes offline with libntfs-3g, on volumes made by mkntfs, checked with the
// ntfs-3g tools (ntfsls, ntfscat, ntfsfix), which this project did not write.

#include "core/Error.hpp"
#include "core/UniqueFd.hpp"
#include "windows/ntfs/EditableVolume.hpp"
#include "windows/ntfs/NtfsCopy.hpp"
#include "windows/ntfs/NtfsEditor.hpp"
#include "windows/ntfs/NtfsFiles.hpp"
#include "windows/ntfs/Ntfs3g.hpp"

#include "common/Run.hpp"
#include "common/TempDir.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>

#include <cstring>

using namespace dagda;
using namespace dagda::windows::ntfs;
using dagda::testing::TempDir;

namespace {

constexpr std::uint64_t volume_size = 64ull << 20;

/// A fresh NTFS volume file with mkntfs; empty when mkntfs is missing.
std::string make_ntfs(const TempDir& dir, const std::string& name = "volume.raw") {
    if (!testing::have_program("mkntfs")) return {};
    const std::string image = testing::make_image(dir, name, volume_size);
    const auto result = testing::run("mkntfs -F -Q -L Windows " + testing::sh_quote(image) + " >/dev/null 2>&1");
    REQUIRE(result.exit_code == 0);
    return image;
}

std::vector<std::uint8_t> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }

std::string ntfscat(const std::string& image, const std::string& path) {
    const auto result = testing::run("ntfscat " + testing::sh_quote(image) + " " + testing::sh_quote(path));
    REQUIRE(result.exit_code == 0);
    return result.out;
}

std::string ntfsls(const std::string& image, const std::string& path) {
    return testing::run("ntfsls " + testing::sh_quote(image) + " -p " + testing::sh_quote(path)).out;
}

}  // namespace

TEST_CASE("NtfsEditor: folders and files resolve case-insensitively and never get a second spelling",
          "[windows][ntfs][edit]") {
    TempDir dir;
    const std::string image = make_ntfs(dir);
    if (image.empty()) FAIL("missing: mkntfs is not installed");
    {
        const UniqueFd fd = UniqueFd::open(image, O_RDWR);
        const auto volume = open_for_editing(fd.get(), 0, volume_size, "volume.raw", {});
        CHECK(ensure_folder(*volume, "/Windows/System32/config") == "/Windows/System32/config");
        CHECK(ensure_folder(*volume, "\\WINDOWS\\system32\\Drivers") == "/Windows/System32/Drivers");
        write_file(*volume, "/windows/SYSTEM32/drivers/viostor.sys", bytes_of("MZ driver"));
        write_file(*volume, "/Windows/System32/config/SYSTEM", bytes_of("original hive"));
        CHECK(find_path(*volume, "/windows/system32/DRIVERS/VIOSTOR.SYS") == "/Windows/System32/Drivers/viostor.sys");
        CHECK_FALSE(find_path(*volume, "/Windows/System32/missing.sys"));
        CHECK(is_folder(*volume, "/windows/system32"));
        CHECK_FALSE(is_folder(*volume, "/windows/system32/config/system"));
        CHECK(read_file(*volume, "/WINDOWS/System32/CONFIG/system", 1 << 20) == bytes_of("original hive"));
        CHECK_THROWS_WITH(read_file(*volume, "/Windows/System32/config/SYSTEM", 4), Catch::Contains("more than the 4"));
        CHECK_THROWS_WITH(write_file(*volume, "/Windows/NoSuchFolder/x.sys", bytes_of("x")), Catch::Contains("does not exist"));

        // A larger content (non-resident) replaces a small one, then shrinks again.
        std::vector<std::uint8_t> big(300000);
        for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 7);
        replace_file_safely(*volume, "/windows/system32/config/system", big);
        CHECK(read_file(*volume, "/Windows/System32/config/SYSTEM", 1 << 20) == big);
        CHECK_FALSE(find_path(*volume, "/Windows/System32/config/SYSTEM.dagda-backup"));
        write_file(*volume, "/Windows/System32/config/SYSTEM", bytes_of("edited hive"));
        CHECK(remove_file(*volume, "/windows/system32/drivers/VIOSTOR.sys"));
        CHECK_FALSE(remove_file(*volume, "/windows/system32/drivers/viostor.sys"));
        write_file(*volume, "/Windows/System32/drivers/viostor.sys", bytes_of("MZ driver v2"));
    }
    CHECK(ntfsls(image, "/Windows") == ".\nSystem32\n");  // ntfsls lists ".." below the first level only
    CHECK(ntfsls(image, "/Windows/System32") == ".\n..\nconfig\nDrivers\n");
    CHECK(ntfscat(image, "/Windows/System32/config/SYSTEM") == "edited hive");
    CHECK(ntfscat(image, "/Windows/System32/Drivers/viostor.sys") == "MZ driver v2");
    CHECK(testing::run("ntfsfix -n " + testing::sh_quote(image) + " >/dev/null 2>&1").exit_code == 0);
    // New files and folders take the security descriptor of what is already there (here the root
    // folder's, owned by SYSTEM), never libntfs-3g's default granting Everyone full control, which
    // would let any user replace a boot driver.
    for (const char* path : {"/Windows/System32/Drivers/viostor.sys", "/Windows/System32/Drivers", "/Windows"}) {
        INFO(path);
        const std::string info = testing::run("ntfsinfo -F " + testing::sh_quote(path) + " " + testing::sh_quote(image)).out;
        CHECK_THAT(info, Catch::Contains("Owner SID:\t\t S-1-5-18"));
        CHECK_THAT(info, !Catch::Contains("SID: S-1-1-0"));
    }
}

TEST_CASE("NtfsEditor: hibernated, dirty and BitLocker volumes are refused and left unchanged", "[windows][ntfs][edit]") {
    TempDir dir;
    const std::string image = make_ntfs(dir);
    if (image.empty()) FAIL("missing: mkntfs is not installed");
    const UniqueFd fd = UniqueFd::open(image, O_RDWR);
    {
        // What Windows leaves with Fast Startup: hiberfil.sys starting with "HIBR".
        const auto volume = open_for_editing(fd.get(), 0, volume_size, "volume.raw", {});
        std::vector<std::uint8_t> hiberfile(8192, 0);
        std::memcpy(hiberfile.data(), "HIBR", 4);
        write_file(*volume, "/hiberfil.sys", hiberfile);
    }
    const std::string before = testing::file_digest(image);
    CHECK(inspect_volume(fd.get(), 0, volume_size, "volume.raw").hibernated);
    CHECK_THROWS_WITH(open_for_editing(fd.get(), 0, volume_size, "volume.raw", {}),
                      Catch::Contains("hibernat") && Catch::Contains("--remove-hiberfile"));
    CHECK_THROWS_WITH(open_for_editing(fd.get(), 0, volume_size, "volume.raw", {false, true}), Catch::Contains("hibernat"));
    CHECK(testing::file_digest(image) == before);
    {
        // Opening writes nothing: hiberfil.sys goes only when the edit begins.
        const auto volume = open_for_editing(fd.get(), 0, volume_size, "volume.raw", {true, false});
        CHECK(find_path(*volume, "/hiberfil.sys"));
        CHECK(discard_hibernation(*volume));
        CHECK_FALSE(find_path(*volume, "/hiberfil.sys"));
        volume->close();
    }
    CHECK_FALSE(inspect_volume(fd.get(), 0, volume_size, "volume.raw").hibernated);

    {
        // Dirty: set $Volume's flag the way Windows does, through libntfs-3g.
        NtfsVolume volume(fd.get(), 0, volume_size, "volume.raw", Access::read_write);
        REQUIRE(ntfs_volume_write_flags(volume.handle(), VOLUME_IS_DIRTY) == 0);
    }
    const std::string dirty = testing::file_digest(image);
    CHECK(inspect_volume(fd.get(), 0, volume_size, "volume.raw").dirty);
    try {
        open_for_editing(fd.get(), 0, volume_size, "volume.raw", {true, false});
        FAIL("a dirty volume was opened for editing");
    } catch (const Error& error) {
        CHECK(error.kind() == ErrorKind::refused);
        CHECK_THAT(error.what(), Catch::Contains("dirty") && Catch::Contains("chkdsk"));
    }
    CHECK(testing::file_digest(image) == dirty);

    // BitLocker: the boot sector's OEM id is "-FVE-FS-".
    write_exact(fd.get(), "-FVE-FS-", 8, 3, "volume.raw");
    const std::string locked = testing::file_digest(image);
    CHECK(inspect_volume(fd.get(), 0, volume_size, "volume.raw").bitlocker);
    CHECK_THROWS_WITH(open_for_editing(fd.get(), 0, volume_size, "volume.raw", {true, false}), Catch::Contains("BitLocker"));
    CHECK(testing::file_digest(image) == locked);
}

TEST_CASE("NtfsEditor: NTFS's own files are never written, listed or copied onto another volume, a folder named with $ is",
          "[windows][ntfs][edit]") {
    TempDir dir;
    const std::string source_image = make_ntfs(dir, "source.raw"), target_image = make_ntfs(dir, "target.raw");
    if (source_image.empty()) FAIL("missing: mkntfs is not installed");
    const UniqueFd source_fd = UniqueFd::open(source_image, O_RDWR), target_fd = UniqueFd::open(target_image, O_RDWR);
    {
        const auto volume = open_for_editing(source_fd.get(), 0, volume_size, "source.raw", {});
        write_file(*volume, "/report.txt", bytes_of("Tuesday's report"));
        ensure_folder(*volume, "/$Recycle.Bin/S-1-5-21-1");  // Windows' own name, but a user's folder (MFT record >= 16)
        write_file(*volume, "/$Recycle.Bin/S-1-5-21-1/$R0A1B2C.txt", bytes_of("deleted, kept"));
        volume->close();
    }
    const auto refused = [](auto&& action, const std::string& named) {
        try {
            action();
            FAIL("not refused: " << named);
        } catch (const Error& error) {
            CHECK(error.kind() == ErrorKind::refused);
            CHECK_THAT(error.what(), Catch::Contains(named) && Catch::Contains("NTFS's own metadata"));
        }
    };
    const std::string target_before = testing::file_digest(target_image);
    {
        const auto target = open_for_editing(target_fd.get(), 0, volume_size, "target.raw", {});
        refused([&] { write_file(*target, "/$bitmap", bytes_of("ones and zeros")); }, "/$Bitmap");
        refused([&] { write_file(*target, "/$Extend/evil.sys", bytes_of("MZ")); }, "/$Extend");
        refused([&] { ensure_folder(*target, "/$Extend/$Deep/er"); }, "/$Extend");
        refused([&] { remove_file(*target, "/$Boot"); }, "/$Boot");
        refused([&] { replace_file_safely(*target, "/$UpCase", bytes_of("x")); }, "/$UpCase");
        CHECK(is_ntfs_metadata(*target, "/$MFT"));
        CHECK(is_ntfs_metadata(*target, "/$Extend/$Quota"));
        CHECK_FALSE(is_ntfs_metadata(*target, "/"));
        CHECK_FALSE(is_ntfs_metadata(*target, "/$Nothing"));
    }
    CHECK(testing::file_digest(target_image) == target_before);

    const NtfsVolume source(source_fd.get(), 0, volume_size, "source.raw", Access::read_only);
    std::vector<std::string> names;
    for (const DirectoryEntry& entry : list_directory(source, "/")) names.push_back(entry.name);
    CHECK(names == std::vector<std::string>{"$Recycle.Bin", "report.txt"});
    CHECK_FALSE(is_ntfs_metadata(source, "/$Recycle.Bin/S-1-5-21-1"));
    refused([&] { copyable_path(source, "/$MFTMirr"); }, "/$MFTMirr");
    CHECK_THROWS_WITH(copyable_path(source, "/missing.txt"), Catch::Contains("/missing.txt does not exist"));
    CHECK(copyable_path(source, "/REPORT.TXT") == "/report.txt");
    // A walk of the root (what zips, tars and tib extract write) by the same rule.
    CHECK(extract(source, "/", dir.file("extracted")) == 2);
    CHECK(testing::run("cd " + testing::sh_quote(dir.file("extracted")) + " && find . | sort").out ==
          ".\n./$Recycle.Bin\n./$Recycle.Bin/S-1-5-21-1\n./$Recycle.Bin/S-1-5-21-1/$R0A1B2C.txt\n./report.txt\n");
    {
        const auto target = open_for_editing(target_fd.get(), 0, volume_size, "target.raw", {});
        refused([&] { copy_between_volumes(source, "/$Extend/$ObjId", *target, "/$Extend/$ObjId", 1 << 20, {}); }, "/$Extend");
        std::vector<std::string> copied;
        CHECK(copy_between_volumes(source, "/", *target, "/", 1 << 20, [&](const std::string& path) { copied.push_back(path); }) == 2);
        CHECK(copied == std::vector<std::string>{"/$Recycle.Bin/S-1-5-21-1/$R0A1B2C.txt", "/report.txt"});
        target->close();
    }
    CHECK(ntfscat(target_image, "/report.txt") == "Tuesday's report");
    CHECK(ntfscat(target_image, "/$Recycle.Bin/S-1-5-21-1/$R0A1B2C.txt") == "deleted, kept");
    CHECK(testing::run("ntfsfix -n " + testing::sh_quote(target_image) + " >/dev/null 2>&1").exit_code == 0);
}
