// The field console driven through tmux (an 80×24 pseudo-terminal): keys sent, screen read back,
// a whole recovery completed through it, the result checked with sfdisk and hivexget.

#include "common/LoopDevice.hpp"
#include "common/RangeServer.hpp"
#include "common/Run.hpp"
#include "common/TempDir.hpp"
#include "common/WindowsVolume.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

using namespace dagda::testing;
namespace fs = std::filesystem;

namespace {

/// A private tmux server with one 80×24 pane running a command; killed at the end.
class Tmux {
public:
    Tmux(const TempDir& dir, const std::string& command) : socket_(dir.file("tmux.sock")) {
        // A tmux server starting while another test's stops has been seen to fail once: try again.
        RunResult started;
        for (int attempt = 0; attempt < 3; ++attempt) {
            started = run("tmux -S " + sh_quote(socket_) + " new-session -d -x 80 -y 24 " + sh_quote(command));
            if (started.exit_code == 0) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        INFO("tmux: " << started.err);
        REQUIRE(started.exit_code == 0);
    }
    ~Tmux() { run("tmux -S " + sh_quote(socket_) + " kill-server"); }

    std::string screen() const { return run("tmux -S " + sh_quote(socket_) + " capture-pane -p").out; }
    /// The screen with the lines tmux wrapped joined again (-J): a line the console wrote wider
    /// than 80 columns shows wider here, and a screen taller than 24 lines has scrolled its top away.
    std::string written_screen() const { return run("tmux -S " + sh_quote(socket_) + " capture-pane -p -J").out; }
    /// One key, no Enter (the job screen reads single keys).
    void key(const std::string& keys) const { run("tmux -S " + sh_quote(socket_) + " send-keys -l " + sh_quote(keys)); }
    void type(const std::string& text) const {
        run("tmux -S " + sh_quote(socket_) + " send-keys -l " + sh_quote(text));
        run("tmux -S " + sh_quote(socket_) + " send-keys Enter");
    }
    /// Waits until the screen shows `text`; the screen as last seen.
    std::string wait_for(const std::string& text, int seconds = 30) const {
        std::string last;
        for (int i = 0; i < seconds * 10; ++i) {
            last = screen();
            if (last.find(text) != std::string::npos) return last;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        FAIL("the console never showed \"" << text << "\"; the screen:\n" << last);
        return last;
    }

private:
    std::string socket_;
};

/// Answers the recovery questions after the backup was chosen: the newest generation, the
/// target, virtio-blk and the drivers; returns the screen that asks for "yes".
std::string answer_recovery_questions(const Tmux& tmux, const std::string& target, const std::string& drivers) {
    tmux.wait_for("Generation to recover [1]", 60);
    tmux.type("");
    tmux.wait_for("Target disk");
    tmux.type(target);
    tmux.wait_for("Make Windows boot on");
    tmux.type("virtio-blk");
    tmux.wait_for("Folder of out-of-box drivers");
    tmux.type(drivers);
    return tmux.wait_for("Type yes to overwrite", 60);
}

}  // namespace

TEST_CASE("console: a whole recovery through the field console on an 80x24 terminal", "[console][integration]") {
    TempDir dir;
    if (!windows_tools_present(dir) || !have_program("tmux") || !have_program("sfdisk") || !have_program("ntfscat")) FAIL("missing: tmux, hivexregedit, mkntfs, sfdisk, ntfs-3g tools or ../shared/fixtures");
    const std::string source = make_windows_disk(dir, "source.img");
    fs::create_directories(dir.path() / "media/usb/backups");
    const std::string archive = dir.file("media/usb/backups/server.tib");
    const RunResult captured = run(dagda_command() + " tib capture --disk " + sh_quote(source) + " " + sh_quote(archive) + " --progress none");
    INFO(captured.err);
    REQUIRE(captured.exit_code == 0);
    const std::string target = make_image(dir, "target.img", 300ull << 20);
    const std::string drivers = viostor_driver_folder(dir);

    // The reboot offered at the end runs what machine.reboot runs: here a harmless marker.
    const std::string rebooted = dir.file("rebooted");
    const Tmux tmux(dir, "DAGDA_RUN_DIR=" + sh_quote(dir.file("run")) + " DAGDA_REBOOT_COMMAND=" + sh_quote("touch " + rebooted) + " " +
                             dagda_command() + " console --search " + sh_quote(dir.file("media")) + "; echo CONSOLE-EXIT=$?; sleep 60");
    std::string screen = tmux.wait_for("r) recover a server from a backup");
    CHECK_THAT(screen, Catch::Contains("Storage controllers:"));
    tmux.type("r");
    screen = tmux.wait_for("Backup (number, path or URL");
    CHECK_THAT(screen, Catch::Contains("1) " + archive));
    tmux.type("1");
    screen = answer_recovery_questions(tmux, target, drivers);
    CHECK_THAT(screen, Catch::Contains("1. disk.apply_layout") && Catch::Contains("3. windows.inoculate"));
    CHECK_THAT(screen, Catch::Contains("The plan:"));
    tmux.type("yes");
    screen = tmux.wait_for("Recovery finished.", 120);
    CHECK_THAT(screen, Catch::Contains("windows.inoculate        done") && Catch::Contains("windows.fixup_boot       done"));
    // The last step's bar counts the sectors and hive values it fixed, not bytes: no speed in MB/s.
    const std::string finished = tmux.written_screen();
    CHECK(std::regex_search(finished, std::regex(R"(\n \[#{24}\] 100%  [0-9]+ of [0-9]+\n)")));
    CHECK_THAT(finished, !Catch::Contains("MB/s"));
    CHECK(finished.rfind("Dagda Rescue - recovery running", 0) == 0);
    for (std::size_t start = 0, end; (end = finished.find('\n', start)) != std::string::npos; start = end + 1) CHECK(end - start <= 80);
    tmux.type("l");  // the whole log: the last lines the steps reported
    // Waited for by a line only the log shows: the job screen already holds "windows.fixup_boot: "
    // lines, so waiting for those raced the redraw.
    screen = tmux.wait_for("windows.inoculate: set SYSTEM\\ControlSet00");
    CHECK_THAT(screen, Catch::Contains("windows.fixup_boot: "));
    CHECK_THAT(screen, Catch::Contains("r: reboot   p: power off"));
    CHECK(!fs::exists(rebooted));
    tmux.type("r");
    tmux.wait_for("Reboot requested.");
    CHECK(fs::exists(rebooted));
    tmux.type("");
    tmux.wait_for("r) recover a server from a backup");
    tmux.type("q");
    tmux.wait_for("CONSOLE-EXIT=0");
    // Every line fitted the 80-column terminal.
    for (std::size_t start = 0, end; (end = screen.find('\n', start)) != std::string::npos; start = end + 1) CHECK(end - start <= 80);

    CHECK_THAT(run("sfdisk --dump " + sh_quote(target)).out, Catch::Contains("label-id: 0x43da9ab1"));
    const std::string windows = dir.file("windows.raw");
    // Partition 2 and its NTFS grew by the 100 MiB the target has more than the source.
    REQUIRE(run("dd if=" + sh_quote(target) + " of=" + sh_quote(windows) + " bs=512 skip=133120 count=401408 status=none").exit_code == 0);
    const std::string hive = dir.file("SYSTEM");
    REQUIRE(run("ntfscat " + sh_quote(windows) + " /Windows/System32/config/SYSTEM > " + sh_quote(hive)).exit_code == 0);
    CHECK(run("hivexget " + sh_quote(hive) + " '\\ControlSet001\\Services\\viostor' Start").out == "0\n");
}

namespace {

/// Captures `source` into DIR/served/server.tib, the folder a RangeServer then serves.
void capture_to_serve(const TempDir& dir, const std::string& source) {
    fs::create_directories(dir.path() / "served");
    REQUIRE(run(dagda_command() + " tib capture --disk " + sh_quote(source) + " " + sh_quote(dir.file("served/server.tib")) +
                " --progress none").exit_code == 0);
}

/// A console recovering DIR/served/server.tib (put there by capture_to_serve)
/// from a RangeServer slowed by `delay` per request, onto a new 300 MiB image,
/// with every question answered: it is constructed once image.restore runs.
struct SlowRecovery {
    RangeServer server;
    std::string target, drivers;
    Tmux tmux;
    SlowRecovery(const TempDir& dir, std::chrono::milliseconds delay)
        : server(dir.path() / "served"), target(make_image(dir, "target.img", 300ull << 20)), drivers(viostor_driver_folder(dir)),
          tmux(dir, "DAGDA_RUN_DIR=" + sh_quote(dir.file("run")) + " " + dagda_command() + " console --search " + sh_quote(empty_folder(dir, "media")) +
                        "; echo CONSOLE-EXIT=$?; sleep 60") {
        server.delay(delay);
        tmux.wait_for("r) recover a server from a backup");
        tmux.type("r");
        tmux.wait_for("Backup (number, path or URL");
        tmux.type(server.url("server.tib"));
        answer_recovery_questions(tmux, target, drivers);
        tmux.type("yes");
        tmux.wait_for("image.restore            running", 60);
    }
    static std::string empty_folder(const TempDir& dir, const std::string& name) {
        fs::create_directories(dir.path() / name);
        return dir.file(name);
    }
};

}  // namespace

TEST_CASE("console: c cancels a running recovery, which says so and can be run again", "[console][integration]") {
    TempDir dir;
    if (!windows_tools_present(dir) || !have_program("tmux") || !have_program("sfdisk")) FAIL("missing: tmux, hivexregedit, mkntfs, sfdisk or ../shared/fixtures");
    const std::string source = make_windows_disk(dir, "source.img");
    capture_to_serve(dir, source);
    // A slow archive server: the restore takes long enough to be cancelled.
    const SlowRecovery recovery(dir, std::chrono::milliseconds(400));
    const Tmux& tmux = recovery.tmux;
    tmux.key("c");
    const std::string screen = tmux.wait_for("Run it again from the menu to resume.", 60);
    CHECK_THAT(screen, Catch::Contains("cancelled"));
    CHECK_THAT(screen, Catch::Contains("disk.apply_layout        done"));
    tmux.type("");
    tmux.wait_for("r) recover a server from a backup");
    tmux.type("q");
    tmux.wait_for("CONSOLE-EXIT=0");
}

TEST_CASE("console: the job screen shows the restore's speed and time left, within 80x24", "[console][integration]") {
    TempDir dir;
    if (!windows_tools_present(dir) || !have_program("tmux") || !have_program("sfdisk") || !have_program("ntfscp"))
        FAIL("missing: tmux, hivexregedit, mkntfs, sfdisk, ntfscp or ../shared/fixtures");
    const std::string source = make_windows_disk(dir, "source.img");
    // 48 MiB that do not compress on the Windows volume: a dozen of the restore's 4 MiB requests.
    const std::string windows = dir.file("source-windows.raw"), filler = dir.file("filler.bin");
    REQUIRE(run("dd if=" + sh_quote(source) + " of=" + sh_quote(windows) + " bs=512 skip=133120 count=196608 status=none").exit_code == 0);
    REQUIRE(run("head -c 48M /dev/urandom > " + sh_quote(filler) + " && ntfscp -q " + sh_quote(windows) + " " + sh_quote(filler) + " /filler.bin").exit_code == 0);
    REQUIRE(run("dd if=" + sh_quote(windows) + " of=" + sh_quote(source) + " bs=512 seek=133120 conv=notrunc status=none").exit_code == 0);
    capture_to_serve(dir, source);
    // A slow archive server: the restore runs for seconds, so the bar is seen between 0 and 100%
    // (read from a local file it jumps to the end at once).
    const SlowRecovery recovery(dir, std::chrono::milliseconds(1000));
    const Tmux& tmux = recovery.tmux;
    // The progress line while the restore runs: share, bytes, average speed, time left (m:ss).
    const std::regex progress(R"(\n \[[#.]{24}\] +[0-9]+%  [0-9.]+ (B|[KMGT]iB) of [0-9.]+ (B|[KMGT]iB)  [0-9]+\.[0-9] MB/s  ETA [0-9]+:[0-9]{2}(:[0-9]{2})?\n)");
    std::string screen;
    // Looked for until the restore is done (then it was missed) or 90 s (the archive's opening
    // requests come first, a second each).
    for (int i = 0; i < 900 && !std::regex_search(screen, progress) && screen.find("image.restore            done") == std::string::npos; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        screen = tmux.written_screen();
    }
    INFO("the job screen:\n" << screen);
    CHECK(std::regex_search(screen, progress));
    CHECK_THAT(screen, Catch::Contains("image.restore            running"));
    CHECK_THAT(screen, Catch::Contains("restoring volume "));
    // The whole screen on the terminal: its first line still on top (nothing scrolled away), no
    // line wrapped.
    CHECK(screen.rfind("Dagda Rescue - recovery running    (c: cancel   l: log)\n", 0) == 0);
    std::size_t lines = 0;
    for (std::size_t start = 0, end; (end = screen.find('\n', start)) != std::string::npos; start = end + 1, ++lines) CHECK(end - start <= 80);
    CHECK(lines <= 24);
    tmux.key("c");  // done looking: cancelling is the other test's subject, here it only ends the job early
    tmux.wait_for("Enter: menu   r: reboot", 120);
    tmux.type("");
    tmux.wait_for("r) recover a server from a backup");
    tmux.type("q");
    tmux.wait_for("CONSOLE-EXIT=0");
}

TEST_CASE("console: the target page offers each disk with its size, never the backup medium or the boot stick",
          "[console][integration][root][loop]") {
    TempDir dir;
    if (!windows_tools_present(dir) || !have_program("tmux") || !have_program("mkfs.ext4") || !have_program("xorriso")) FAIL("missing: tmux, mkfs.ext4, xorriso, the Windows test tools or ../shared/fixtures");
    // The backup medium: an ext4 filesystem made with the archive inside, mounted read-only where
    // the console looks, as the live image mounts a USB disk.
    const std::string source = make_windows_disk(dir, "source.img");
    fs::create_directories(dir.path() / "medium/backups");
    REQUIRE(run(dagda_command() + " tib capture --disk " + sh_quote(source) + " " + sh_quote(dir.file("medium/backups/server.tib")) +
                " --progress none").exit_code == 0);
    const std::string medium_image = make_image(dir, "medium.img", 64ull << 20);
    REQUIRE(run("mkfs.ext4 -q -F -d " + sh_quote(dir.file("medium")) + " " + sh_quote(medium_image)).exit_code == 0);
    LoopDevice medium(medium_image);
    if (!medium) {
        WARN("skipped: needs root and a free loop device");
        return;
    }
    const std::string mounted = dir.file("media/usb");
    fs::create_directories(mounted);
    const RunResult mount = run("mount -o ro " + sh_quote(medium.path()) + " " + sh_quote(mounted));
    INFO(mount.err);
    REQUIRE(mount.exit_code == 0);
    struct Unmount {
        std::string where;
        ~Unmount() { run("umount " + sh_quote(where)); }
    } unmount{mounted};
    // The boot stick, known by its label, and the blank disk to recover onto.
    const std::string stick_image = dir.file("stick.img");
    fs::create_directories(dir.path() / "stick");
    REQUIRE(run("xorriso -as mkisofs -quiet -V DAGDA_RESCUE -o " + sh_quote(stick_image) + " " + sh_quote(dir.file("stick")) + " 2>/dev/null").exit_code == 0);
    LoopDevice stick(stick_image);
    LoopDevice target(make_image(dir, "target.img", 300ull << 20));
    REQUIRE((stick && target));

    const Tmux tmux(dir, "DAGDA_RUN_DIR=" + sh_quote(dir.file("run")) + " " + dagda_command() + " console --search " +
                             sh_quote(dir.file("media")) + "; echo CONSOLE-EXIT=$?; sleep 60");
    std::string screen = tmux.wait_for("r) recover a server from a backup");
    CHECK_THAT(screen, Catch::Contains(target.path() + "  300 MiB"));
    tmux.type("r");
    tmux.wait_for("Backup (number, path or URL");
    tmux.type("1");
    tmux.wait_for("Generation to recover [1]", 60);
    tmux.type("");
    screen = tmux.wait_for("Disk (number, or an image file path");
    // The whole page on the 80x24 screen: its title, the target with its size, the held-back disks
    // with the reason, the prompt.
    CHECK_THAT(screen, Catch::Contains("Target disk (everything on it is overwritten):"));
    CHECK(std::regex_search(screen, std::regex("\n  [0-9]+\\) " + target.path() + "  300 MiB")));
    CHECK_THAT(screen, Catch::Contains("Not offered:"));
    CHECK_THAT(screen, Catch::Contains("  " + medium.path() + ": mounted on " + mounted));
    CHECK_THAT(screen, Catch::Contains("  " + stick.path() + ": the Dagda boot medium"));
    CHECK_THAT(screen, !Catch::Contains(") " + medium.path() + " ") && !Catch::Contains(") " + stick.path() + " "));
    for (std::size_t start = 0, end; (end = screen.find('\n', start)) != std::string::npos; start = end + 1) CHECK(end - start <= 80);
    tmux.type("");
    tmux.wait_for("r) recover a server from a backup");
    tmux.type("q");
    tmux.wait_for("CONSOLE-EXIT=0");
}

TEST_CASE("mount-media: a filesystem holding backups stays mounted read-only, one without is let go", "[console][integration][root][loop]") {
    TempDir dir;
    if (!have_program("mkfs.ext4") || !have_program("blkid")) FAIL("missing: mkfs.ext4 or blkid");
    // Two ext4 disks made with their files inside: one holds an archive three folders down, the
    // other (a recovery target's old data) none.
    fs::create_directories(dir.path() / "with/backups/srv01/2026");
    std::ofstream(dir.file("with/backups/srv01/2026/server.tib")) << "TIB archive stand-in: mount-media looks at names only";
    fs::create_directories(dir.path() / "without/data");
    std::ofstream(dir.file("without/data/readme.txt")) << "no backups here";
    for (const std::string name : {"with", "without"}) {
        make_image(dir, name + ".img", 32ull << 20);
        REQUIRE(run("mkfs.ext4 -q -F -d " + sh_quote(dir.file(name)) + " " + sh_quote(dir.file(name + ".img"))).exit_code == 0);
    }
    LoopDevice with(dir.file("with.img")), without(dir.file("without.img"));
    if (!with || !without) {
        WARN("skipped: needs root and two free loop devices");
        return;
    }
    const std::string media = dir.file("media");
    const std::string kept = media + "/" + with.path().substr(5), let_go = media + "/" + without.path().substr(5);
    struct Unmount {
        std::string where;
        ~Unmount() { run("umount " + sh_quote(where) + " 2>/dev/null"); }
    } unmount{kept};
    const RunResult result = run("DAGDA_MEDIA_ROOT=" + sh_quote(media) + " " + std::string(DAGDA_SOURCE_DIR) + "/initramfs/mount-media " +
                                 sh_quote(with.path()) + " " + sh_quote(without.path()));
    INFO(result.out << result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.out == kept + " " + with.path() + " ext4 1 archives\n");
    const std::string mounts = file_bytes("/proc/mounts");
    CHECK_THAT(mounts, Catch::Contains(with.path() + " " + kept + " ext4 ro,"));
    CHECK_THAT(mounts, !Catch::Contains(without.path() + " "));
    CHECK(!fs::exists(let_go));
    CHECK(fs::exists(kept + "/backups/srv01/2026/server.tib"));
    // The console's backup page lists it, saying where it looked.
    const Tmux tmux(dir, dagda_command() + " console --search " + sh_quote(media) + "; echo CONSOLE-EXIT=$?; sleep 60");
    std::string screen = tmux.wait_for("r) recover a server from a backup");
    CHECK_THAT(screen, Catch::Contains("Backups (looked in " + media + "): 1"));
    tmux.type("r");
    screen = tmux.wait_for("Backup (number, path or URL");
    CHECK_THAT(screen, Catch::Contains("1) " + kept + "/backups/srv01/2026/server.tib"));
    CHECK_THAT(screen, Catch::Contains("s) mount an SMB or NFS share"));
    tmux.type("s");
    tmux.wait_for("Share (//server/share for SMB, server:/path for NFS)");
    tmux.type("server/share");  // neither form: said, and the console stays on the backups page
    tmux.wait_for("Error: a share is //server/share (SMB) or server:/path (NFS), not server/share");
    tmux.type("");
    tmux.wait_for("Backup (number, path or URL");
    tmux.type("");  // back to the menu
    tmux.wait_for("r) recover a server from a backup");
    tmux.type("q");
    tmux.wait_for("CONSOLE-EXIT=0");
}
