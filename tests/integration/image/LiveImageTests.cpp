// Issue 7: the live image end to end in QEMU (software emulation), once per boot path: direct
// kernel, the ISO as a CD and as a USB stick under BIOS and under UEFI with Secure Boot
// enforced, and PXE with iPXE: through QEMU's TFTP, and from the controller's boot port (the
// generic script, the machine's own script for its enrolled MAC, kernel and initramfs over HTTP),
// under BIOS and under UEFI (OVMF, the NIC's iPXE EFI driver, the kernel's EFI stub), and as a
// UEFI server without iPXE does it: the firmware's own PXE, snponly.efi by TFTP, then the boot port.
// A real controller on the host's loopback (the guest reaches it as 10.0.2.2) orders a whole
// recovery of a synthetic Windows disk onto the guest's blank AHCI disk: layout, restore from the
// controller's archive, inoculation for the VM's AHCI controller, boot fix-up, power off. The
// disk image is then checked with sfdisk, ntfs-3g's tools and hivexget.
// Needs the image (scripts/build-image; scripts/run-tests builds it) and qemu-system-x86; the
// QEMU command lines are scripts/boot-image's, the same that scripts/bench-image times.

#include "common/LoopDevice.hpp"
#include "common/Run.hpp"
#include "common/WindowsVolume.hpp"
#include "integration/controller/ControllerFixture.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace dagda::testing;
namespace fs = std::filesystem;

namespace {

std::string image_dir() {
    const char* given = std::getenv("DAGDA_IMAGE_DIR");
    return given && *given ? given : std::string(DAGDA_SOURCE_DIR) + "/build/image";
}

bool live_image_present() {
    return have_program("qemu-system-x86_64") && fs::exists(image_dir() + "/dagda-rescue.iso") && fs::exists(image_dir() + "/initrd.img");
}

/// A TCP port on 127.0.0.1 that nothing listens on just now, for a server the test starts.
int unused_loopback_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    REQUIRE((::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
             ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0));
    ::close(fd);
    return ntohs(address.sin_port);
}

/// Ends every process whose command line names `marker` (a server's own config file): smbd's
/// children outlive the parent a ChildProcess kills.
struct KillByMarker {
    std::string marker;
    ~KillByMarker() { run("pkill -KILL -f " + sh_quote(marker) + " 2>/dev/null"); }
};

/// The guest's serial console as a person at it, through QEMU's UNIX socket for the port: what
/// it shows, and what is typed. A thread reads the socket all along: the port sends a byte at a
/// time, so a few hundred unread bytes fill the socket and stall the guest (and QEMU's log file
/// of the port then repeats bytes). wait_for looks only after the last thing waited for, so a
/// screen drawn again is not mistaken for the new one.
class SerialConsole {
public:
    explicit SerialConsole(std::string socket_path) : socket_path_(std::move(socket_path)), reader_([this] { read_until_stopped(); }) {}
    ~SerialConsole() {
        stopping_ = true;
        reader_.join();
        if (fd_ >= 0) ::close(fd_);
    }
    std::string text() const {
        const std::lock_guard<std::mutex> lock(mutex_);
        return shown_;
    }
    bool wait_for(const std::string& wanted, int seconds) {
        const bool seen = eventually([&] { return text().find(wanted, seen_) != std::string::npos; }, seconds);
        if (seen) seen_ = text().find(wanted, seen_) + wanted.size();
        else WARN("the console did not show \"" << wanted << "\"; it showed:\n" << text().substr(seen_));
        return seen;
    }
    void type(const std::string& keys, bool enter = true) {
        REQUIRE(eventually([&] { return fd_ >= 0; }, 30));
        const std::string line = keys + (enter ? "\r" : "");
        REQUIRE(::write(fd_, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
    }

private:
    void read_until_stopped() {
        int fd = -1;
        while (!stopping_ && fd < 0) {  // QEMU makes the socket as it starts
            fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
            sockaddr_un address{};
            address.sun_family = AF_UNIX;
            socket_path_.copy(address.sun_path, sizeof address.sun_path - 1);
            if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
                ::close(fd);
                fd = -1;
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
        }
        fd_ = fd;
        while (!stopping_ && fd >= 0) {
            pollfd ready{fd, POLLIN, 0};
            if (::poll(&ready, 1, 100) <= 0) continue;
            char piece[4096];
            const ssize_t got = ::read(fd, piece, sizeof piece);
            if (got <= 0) break;  // QEMU ended
            const std::lock_guard<std::mutex> lock(mutex_);
            shown_.append(piece, static_cast<std::size_t>(got));
        }
    }

    std::string socket_path_;
    mutable std::mutex mutex_;
    std::string shown_;
    std::atomic<int> fd_{-1};
    std::atomic<bool> stopping_{false};
    std::size_t seen_ = 0;
    std::thread reader_;  // last: it starts once everything it uses is made
};

/// One MBR disk image with an exFAT, an NTFS and an ext4 partition of 24 MiB, each holding an
/// archive (by name: the console lists names), made as a field engineer's USB disk would be:
/// exFAT written through exfat-fuse on a loop device (no tool writes files into an exFAT image),
/// NTFS by ntfscp, ext4 by mkfs.ext4 -d. Empty when no loop device can be had here.
std::string make_backup_disk(const TempDir& dir) {
    const std::string disk = make_image(dir, "backup-disk.img", 80ull << 20);
    REQUIRE(run("printf 'start=2048, size=49152, type=7\\nsize=49152, type=7\\nsize=49152, type=83\\n' | sfdisk -q " + sh_quote(disk)).exit_code == 0);
    std::ofstream(dir.file("stand-in.tib")) << "TIB archive stand-in: the console lists names";
    const std::string exfat = make_image(dir, "exfat.img", 24ull << 20), ntfs = make_image(dir, "ntfs.img", 24ull << 20);
    REQUIRE(run("mkfs.exfat -L EXFATBK " + sh_quote(exfat) + " > /dev/null").exit_code == 0);
    {
        LoopDevice loop(exfat);
        if (!loop) return {};
        fs::create_directories(dir.file("exfat-mount"));
        struct Unmount {  // a failed step below leaves no mount behind
            std::string where;
            ~Unmount() { run("umount " + sh_quote(where) + " 2>/dev/null"); }
        } unmount{dir.file("exfat-mount")};
        REQUIRE(run("mount.exfat-fuse " + sh_quote(loop.path()) + " " + sh_quote(dir.file("exfat-mount")) + " > /dev/null").exit_code == 0);
        const RunResult copied = run("mkdir " + sh_quote(dir.file("exfat-mount/backups")) + " && cp " + sh_quote(dir.file("stand-in.tib")) + " " +
                                     sh_quote(dir.file("exfat-mount/backups/exfat-server.tib")));
        REQUIRE(run("umount " + sh_quote(dir.file("exfat-mount"))).exit_code == 0);
        REQUIRE(copied.exit_code == 0);
    }
    REQUIRE(run("mkntfs -q -F -f -L NTFSBK " + sh_quote(ntfs) + " > /dev/null 2>&1 && ntfscp -q " + sh_quote(ntfs) + " " + sh_quote(dir.file("stand-in.tib")) +
                " ntfs-server.tib").exit_code == 0);
    fs::create_directories(dir.file("ext4/backups/deeper"));
    fs::copy_file(dir.file("stand-in.tib"), dir.file("ext4/backups/deeper/ext4-server.tib"));
    const std::string ext4 = dir.file("ext4.img");
    REQUIRE(run("mkfs.ext4 -q -L EXT4BK -d " + sh_quote(dir.file("ext4")) + " " + sh_quote(ext4) + " 24M").exit_code == 0);
    std::uint64_t sector = 2048;
    for (const std::string& partition : {exfat, ntfs, ext4}) {
        REQUIRE(run("dd if=" + sh_quote(partition) + " of=" + sh_quote(disk) + " bs=512 seek=" + std::to_string(sector) + " conv=notrunc status=none").exit_code == 0);
        sector += 49152;
    }
    return disk;
}

}  // namespace

TEST_CASE("live image: a whole recovery ordered by the controller, once per boot path", "[image][integration][qemu]") {
    TempDir dir;
    if (!live_image_present() || !windows_tools_present(dir) || !controller_tools_present()) FAIL("missing: qemu-system-x86, the live image (scripts/build-image), the Windows test tools or curl");
    const std::string path = GENERATE(as<std::string>{}, "direct", "bios-iso", "uefi-iso", "usb-bios", "usb-uefi", "pxe", "pxe-http",
                                        "pxe-http-uefi", "pxe-tftp-uefi");
    INFO("boot path " << path);
    // DAGDA_BOOT_PATHS=a,b runs only those paths (one at a time by hand; the suite runs them all).
    if (const char* only = std::getenv("DAGDA_BOOT_PATHS"); only && *only && ("," + std::string(only) + ",").find("," + path + ",") == std::string::npos)
        return;
    const std::string archives = dir.file("archives");
    fs::create_directories(archives);
    const std::string source = make_windows_disk(dir, "source.img");
    REQUIRE(run(dagda_command() + " tib capture --disk " + sh_quote(source) + " " + sh_quote(archives + "/server.tib") + " --progress none").exit_code == 0);
    const std::string disk = make_image(dir, "target.img", 256ull << 20);

    ControllerProcess controller(dir, dir.file("controller"), 0, archives,
                                 {"--name", "IP:10.0.2.2", "--name", "IP:127.0.0.1", "--public-host", "10.0.2.2", "--boot-port", "0",
                                  "--boot-files", image_dir() + "/pxe"});
    std::string settings;
    const bool from_boot_port = path.rfind("pxe-", 0) == 0;
    if (from_boot_port) {
        // The machine is enrolled by its card's MAC; its settings and token reach it only in the
        // iPXE script the controller serves for that card.
        const auto enrolled = controller.api("POST", "/api/enrolments", {{"name", "vm"}, {"mac", "52:54:00:da:9d:01"}});
        REQUIRE(enrolled["status"] == 201);
        settings = controller.boot_script_url();
        REQUIRE(settings.rfind("http://10.0.2.2:", 0) == 0);
    } else {
        // The BIOS ISO boot trusts the controller by its CA, handed over through fw_cfg as a VM
        // would get it; the other paths by the pin.
        const std::string trust = path == "bios-iso" ? "dagda.ca=/etc/dagda/ca.pem" : "dagda.pin=" + controller.pin();
        const std::string token = file_bytes(controller.enrol("vm")).substr(0, 64);
        settings = "dagda.controller=wss://10.0.2.2:" + std::to_string(controller.port()) + " " + trust + " dagda.enrolment=vm dagda.token=" + token;
    }
    const auto started = std::chrono::steady_clock::now();
    // Killed by ChildProcess's destructor whatever happens (never through `timeout`, which would
    // leave QEMU running when it is killed itself).
    ChildProcess qemu({std::string(DAGDA_SOURCE_DIR) + "/scripts/boot-image", path, disk, settings, dir.file("serial-" + path + ".log")},
                      {"DAGDA_BOOT_WORK=" + dir.file("boot"), "DAGDA_IMAGE_DIR=" + image_dir(),
                       "DAGDA_BOOT_CA=" + (path == "bios-iso" ? controller.ca_file() : std::string()),
                       "DAGDA_BOOT_SERIAL_SOCKET=" + (path == "pxe-tftp-uefi" ? dir.file("serial.sock") : std::string())},
                      dir.file("qemu-" + path + ".log"));
    std::optional<SerialConsole> port;  // read to the end of the test once opened
    if (path == "pxe-tftp-uefi") {
        // The firmware's PXE fetched snponly.efi by TFTP; iPXE is told the boot script's URL as a
        // site's DHCP would tell it, typed here because QEMU's DHCP names one file for all.
        port.emplace(dir.file("serial.sock"));
        REQUIRE(port->wait_for("NBP filename is snponly.efi", 180));  // the firmware's PXE, not iPXE
        REQUIRE(port->wait_for("NBP file downloaded successfully", 60));
        REQUIRE(port->wait_for("Press Ctrl-B", 60));
        port->type("\x02", false);
        REQUIRE(port->wait_for("iPXE> ", 30));
        port->type("dhcp");
        REQUIRE(port->wait_for("Configuring", 30));
        REQUIRE(port->wait_for("ok", 60));
        REQUIRE(port->wait_for("iPXE> ", 30));
        port->type("chain " + settings);
        REQUIRE(port->wait_for(settings + "...", 30));
    }
    const bool linked = eventually([&] { return controller.log().find("agent agent-vm connected") != std::string::npos; }, 180);
    INFO(file_bytes(dir.file("serial-" + path + ".log")));
    REQUIRE(linked);
    // The agent connects from where its PXE boot fetched the token (QEMU's NAT: 127.0.0.1), so the
    // token is bound to this machine; a token given on the command line binds on first use.
    const nlohmann::json enrolments = controller.api("GET", "/api/enrolments")["body"]["enrolments"];
    REQUIRE(enrolments.size() == 1);
    CHECK(enrolments[0]["machine_id"].is_string());
    CHECK_THAT(controller.log(), !Catch::Contains("stays unbound"));
    const double hello_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    WARN("boot path " << path << ": hello " << hello_seconds << " s after QEMU started");

    // Inoculated for the AHCI controller the disk is on (the machine's PIIX IDE controller is
    // not the boot disk's, and the test Windows has no driver for it).
    // The target is named as an operator would, from the agent's inventory: the 256 MiB disk.
    // Booted from a USB stick, the stick is a disk too, marked as the boot medium; the order then
    // names no disk, and the controller must pass over the stick to find the only target.
    std::string target_disk;
    bool stick_marked = false;
    const nlohmann::json agent = controller.api("GET", "/api/agents/agent-vm");
    for (const auto& reported : agent["body"]["inventory"]["disks"]) {
        if (reported.value("size_bytes", std::uint64_t{0}) == (256ull << 20)) target_disk = reported["path"];
        else if (reported.contains("boot_medium") && reported["boot_medium"] == true) stick_marked = true;
    }
    INFO(agent.dump().substr(0, 3000));
    REQUIRE(!target_disk.empty());
    const bool from_usb = path.rfind("usb-", 0) == 0;
    CHECK(stick_marked == from_usb);
    nlohmann::json recover{{"archive", "server.tib"}, {"for", {"ahci"}}, {"then", "poweroff"}};
    if (!from_usb) recover["disk"] = target_disk;
    const nlohmann::json order{{"agent", "agent-vm"}, {"recover", recover}};
    const nlohmann::json answer = controller.api("POST", "/api/jobs", order);
    INFO(answer.dump());
    REQUIRE(answer["status"] == 201);
    const std::string job = answer["body"]["id"];
    const bool finished = eventually([&] { return controller.job_state(job) == "succeeded"; }, 400);
    INFO(controller.events(job).dump().substr(0, 6000));
    REQUIRE(finished);
    CHECK(qemu.wait() == 0);  // machine.poweroff ended QEMU
    // Nothing the recovery ran was missing from the image: libparted runs `udevadm settle` when it
    // tells the kernel about the new partitions, and the shell said "udevadm: not found" before
    // the image carried it.
    const std::string serial_log = file_bytes(dir.file("serial-" + path + ".log"));
    CHECK_THAT(serial_log, !Catch::Contains("not found"));
    CHECK_THAT(serial_log, Catch::Contains("dagda-init: starting the agent"));  // the agent's output goes to this log

    // The disk as Windows will find it: the source's table, NTFS volumes that check clean, and
    // the SYSTEM hive booting the in-box AHCI driver.
    const std::string table = run("sfdisk --dump " + sh_quote(disk)).out;
    CHECK_THAT(table, Catch::Contains("label-id: 0x43da9ab1"));
    const std::string windows = dir.file("windows.raw");
    // Partition 2 and its NTFS grew by the 56 MiB the target has more than the source.
    REQUIRE(run("dd if=" + sh_quote(disk) + " of=" + sh_quote(windows) + " bs=512 skip=133120 count=311296 status=none").exit_code == 0);
    CHECK(run("ntfsfix --no-action " + sh_quote(windows)).exit_code == 0);
    const std::string hive = dir.file("SYSTEM");
    REQUIRE(run("ntfscat " + sh_quote(windows) + " /Windows/System32/config/SYSTEM > " + sh_quote(hive)).exit_code == 0);
    const std::string start = run("hivexget " + sh_quote(hive) + " '\\ControlSet001\\Services\\msahci' Start").out;
    CHECK(start == "0\n");
}

TEST_CASE("live image: a settings CD gives the agent its controller, pin and token where a hypervisor has no fw_cfg (ESXi)",
          "[image][integration][qemu]") {
    TempDir dir;
    if (!live_image_present() || !controller_tools_present() || !have_program("xorriso")) FAIL("missing: qemu-system-x86, the live image, curl or xorriso");
    ControllerProcess controller(dir, dir.file("controller"), 0, "", {"--name", "IP:10.0.2.2", "--name", "IP:127.0.0.1", "--public-host", "10.0.2.2"});
    const std::string token = file_bytes(controller.enrol("vm")).substr(0, 64);
    // The CD as the controller will make it for a helper VM on ESXi: ISO 9660 with Rock Ridge,
    // labelled DAGDA-SETTINGS, the same words the kernel command line or fw_cfg would carry.
    fs::create_directories(dir.file("cd/dagda"));
    std::ofstream(dir.file("cd/dagda/cmdline")) << "dagda.controller=wss://10.0.2.2:" << controller.port() << " dagda.pin=" << controller.pin()
                                                << " dagda.enrolment=vm dagda.token=" << token << "\n";
    REQUIRE(run("xorriso -as mkisofs -quiet -V DAGDA-SETTINGS -R -o " + sh_quote(dir.file("settings.iso")) + " " + sh_quote(dir.file("cd"))).exit_code == 0);
    const std::string disk = make_image(dir, "target.img", 64ull << 20);
    const std::string serial = dir.file("serial.log");
    // No settings on the kernel command line nor in fw_cfg: only the CD has them.
    ChildProcess qemu({std::string(DAGDA_SOURCE_DIR) + "/scripts/boot-image", "direct", disk, "", serial},
                      {"DAGDA_BOOT_WORK=" + dir.file("boot"), "DAGDA_IMAGE_DIR=" + image_dir(), "DAGDA_BOOT_SETTINGS_CD=" + dir.file("settings.iso")},
                      dir.file("qemu.log"));
    const bool linked = eventually([&] { return controller.log().find("agent agent-vm connected") != std::string::npos; }, 180);
    INFO((fs::exists(serial) ? file_bytes(serial) : std::string()));
    CHECK(linked);
    CHECK_THAT(file_bytes(serial), Catch::Contains("dagda-init: settings from the CD /dev/sr"));
}

TEST_CASE("live image: a card the controller does not know boots the field console over PXE when the controller offers it, "
          "which finds the backups on a USB disk",
          "[image][integration][qemu]") {
    TempDir dir;
    if (!live_image_present() || !controller_tools_present() || !have_program("mkfs.vfat") || !have_program("mcopy")) FAIL("missing: qemu-system-x86, the live image (scripts/build-image), curl, mkfs.vfat or mtools");
    const std::string disk = make_image(dir, "target.img", 256ull << 20);
    // The backup medium: a USB disk with an MBR and one FAT partition holding an archive, made
    // without mounting (mtools); the image mounts it by itself.
    const std::string medium = make_image(dir, "usb-disk.img", 64ull << 20);
    REQUIRE(run("echo 'start=2048, type=c' | sfdisk -q " + sh_quote(medium)).exit_code == 0);
    REQUIRE(run("mkfs.vfat -n BACKUPS --offset=2048 " + sh_quote(medium) + " 64512 > /dev/null").exit_code == 0);
    const std::string archive = make_image(dir, "server.tib", 4096);  // the console lists archives by name
    REQUIRE(run("mmd -i " + sh_quote(medium + "@@1M") + " ::backups && mcopy -i " + sh_quote(medium + "@@1M") + " " + sh_quote(archive) +
                " ::backups/server.tib").exit_code == 0);
    ControllerProcess controller(dir, dir.file("controller"), 0, "",
                                 {"--name", "IP:10.0.2.2", "--public-host", "10.0.2.2", "--boot-port", "0", "--boot-files", image_dir() + "/pxe",
                                  "--boot-unknown", "console"});
    const std::string serial = dir.file("serial-console.log");
    ChildProcess qemu({std::string(DAGDA_SOURCE_DIR) + "/scripts/boot-image", "pxe-http", disk, controller.boot_script_url(), serial},
                      {"DAGDA_BOOT_WORK=" + dir.file("boot"), "DAGDA_IMAGE_DIR=" + image_dir(), "DAGDA_BOOT_MAC=52:54:00:da:9d:02",
                       "DAGDA_BOOT_MEDIA=" + medium},
                      dir.file("qemu-console.log"));
    // The console's first screen on the serial port, listing the machine's disk and the backup.
    const auto serial_text = [&] { return fs::exists(serial) ? file_bytes(serial) : std::string(); };  // QEMU makes it
    const bool shown = eventually([&] {
        const std::string screen = serial_text();
        return screen.find("Dagda Rescue - field console") != std::string::npos && screen.find("/dev/sda") != std::string::npos &&
               screen.find("r) recover a server from a backup") != std::string::npos;
    }, 180);
    INFO(serial_text());
    CHECK(shown);
    CHECK_THAT(controller.log(), Catch::Contains("(52:54:00:da:9d:02): the console, no enrolment names this card"));
    CHECK_THAT(serial_text(), Catch::Contains("mode console"));
    // /init mounted the USB disk's FAT partition, and the console found the archive on it.
    CHECK_THAT(serial_text(), Catch::Contains("1 archives") && Catch::Contains("(vfat) on /media/sd"));
    CHECK_THAT(serial_text(), Catch::Contains("Backups (looked in /media, /mnt, /run/media): 1"));
    CHECK_THAT(serial_text(), Catch::Contains("1/backups/server.tib"));
    // The target disk is the AHCI one; the USB disk is held back as mounted.
    CHECK_THAT(serial_text(), Catch::Contains("256 MiB") && Catch::Contains("(mounted on /media/sd"));
}

TEST_CASE("live image: the field console finds backups on exFAT, NTFS and ext4 partitions, and on SMB and NFS shares it mounts",
          "[image][integration][qemu][root][loop]") {
    TempDir dir;
    for (const char* tool : {"qemu-system-x86_64", "mkfs.exfat", "mount.exfat-fuse", "mkntfs", "ntfscp", "mkfs.ext4", "smbd", "smbpasswd", "ganesha.nfsd", "socat"})
        if (!have_program(tool)) FAIL("missing: " << tool << " (scripts/setup installs it)");
    if (!live_image_present()) FAIL("missing: the live image (scripts/build-image)");
    const std::string backup_disk = make_backup_disk(dir);
    if (backup_disk.empty()) {
        WARN("skipped: writing the exFAT partition needs root and a loop device");
        return;
    }
    // An SMB share that needs a user and a password with a comma in it (which the kernel reads
    // only when written ",,"), and an NFS v4 export: real Samba and NFS-Ganesha servers on the
    // host's loopback, on ports of their own. The guest reaches them on 445 and 2049 at addresses
    // QEMU forwards (guestfwd: one socat per connection).
    const std::string samba = dir.file("samba"), shares = dir.file("shares");
    fs::create_directories(samba);
    fs::create_directories(shares + "/smb");
    fs::create_directories(shares + "/nfs/backups");
    fs::copy_file(dir.file("stand-in.tib"), shares + "/smb/smb-server.tib");
    fs::copy_file(dir.file("stand-in.tib"), shares + "/nfs/backups/nfs-server.tib");
    const int smb_port = unused_loopback_port(), nfs_port = unused_loopback_port();
    std::ofstream(samba + "/smb.conf") << "[global]\n  smb ports = " << smb_port
        << "\n  interfaces = 127.0.0.1\n  bind interfaces only = yes\n  disable netbios = yes\n  server role = standalone server\n"
        << "  pid directory = " << samba << "\n  lock directory = " << samba << "\n  state directory = " << samba << "\n  cache directory = " << samba
        << "\n  private dir = " << samba << "\n  ncalrpc dir = " << samba << "/ncalrpc\n  log file = " << samba << "/log\n  passdb backend = tdbsam:"
        << samba << "/passdb.tdb\n  load printers = no\n  printcap name = /dev/null\n  disable spoolss = yes\n"
        << "[backups]\n  path = " << shares << "/smb\n  read only = yes\n  valid users = root\n";
    REQUIRE(run("printf 'back,up\\nback,up\\n' | smbpasswd -c " + sh_quote(samba + "/smb.conf") + " -s -a root > /dev/null").exit_code == 0);
    std::ofstream(dir.file("ganesha.conf")) << "NFS_CORE_PARAM { NFS_Port = " << nfs_port
        << "; Bind_addr = 127.0.0.1; Protocols = 4; Enable_NLM = false; Enable_RQUOTA = false; }\n"
        << "NFSV4 { Graceless = true; RecoveryRoot = " << dir.file("ganesha-recovery") << "; }\n"
        << "EXPORT { Export_Id = 1; Path = " << shares << "/nfs; Pseudo = /export; Access_Type = RO; Squash = No_Root_Squash; Protocols = 4; "
        << "Transports = TCP; SecType = sys; FSAL { Name = VFS; } }\n";
    fs::create_directories(dir.file("ganesha-recovery"));
    KillByMarker smbd_group{samba + "/smb.conf"}, ganesha_group{dir.file("ganesha.conf")};
    ChildProcess smbd({"smbd", "--foreground", "--no-process-group", "--debug-stdout", "-s", samba + "/smb.conf"}, {}, dir.file("smbd.log"));
    ChildProcess ganesha({"ganesha.nfsd", "-F", "-f", dir.file("ganesha.conf"), "-L", dir.file("ganesha.log"), "-p", dir.file("ganesha.pid"), "-N", "NIV_EVENT"},
                         {}, dir.file("ganesha.err"));
    const auto listening = [](int port) { return run("ss -Hltn 'sport = :" + std::to_string(port) + "' | grep -q LISTEN").exit_code == 0; };
    REQUIRE(eventually([&] { return listening(smb_port) && listening(nfs_port); }, 30));

    const std::string disk = make_image(dir, "target.img", 256ull << 20);
    const std::string serial_log = dir.file("serial.log"), serial_socket = dir.file("serial.sock");
    const std::string forwards = "tcp:10.0.2.100:445-cmd:socat - TCP:127.0.0.1:" + std::to_string(smb_port) +
                                 ";tcp:10.0.2.101:2049-cmd:socat - TCP:127.0.0.1:" + std::to_string(nfs_port);
    // No dagda.controller: the image starts the field console, which finds the USB disk's backups.
    ChildProcess qemu({std::string(DAGDA_SOURCE_DIR) + "/scripts/boot-image", "direct", disk, "", serial_log},
                      {"DAGDA_BOOT_WORK=" + dir.file("boot"), "DAGDA_IMAGE_DIR=" + image_dir(), "DAGDA_BOOT_MEDIA=" + backup_disk,
                       "DAGDA_BOOT_SERIAL_SOCKET=" + serial_socket, "DAGDA_BOOT_GUESTFWD=" + forwards},
                      dir.file("qemu.log"));
    SerialConsole console(serial_socket);
    REQUIRE(console.wait_for("Backups (looked in /media, /mnt, /run/media): 3", 180));
    REQUIRE(console.wait_for("Choice: ", 30));
    CHECK_THAT(console.text(), Catch::Contains("backup medium /dev/sdb1 (exfat) on /media/sdb1: 1 archives"));
    CHECK_THAT(console.text(), Catch::Contains("backup medium /dev/sdb2 (ntfs) on /media/sdb2: 1 archives"));
    CHECK_THAT(console.text(), Catch::Contains("backup medium /dev/sdb3 (ext4) on /media/sdb3: 1 archives"));
    console.type("r");
    REQUIRE(console.wait_for("Backup (number, path or URL", 30));
    for (const char* found : {"/media/sdb1/backups/exfat-server.tib", "/media/sdb2/ntfs-server.tib", "/media/sdb3/backups/deeper/ext4-server.tib"})
        CHECK_THAT(console.text(), Catch::Contains(found));

    // SMB: a wrong password is said as such, and the page stays; the right one mounts the share.
    for (const std::string password : {"wrong", "back,up"}) {
        console.type("s");
        REQUIRE(console.wait_for("Share (//server/share for SMB, server:/path for NFS): ", 30));
        console.type("//10.0.2.100/backups");
        REQUIRE(console.wait_for("User (empty: guest): ", 30));
        console.type("root");
        REQUIRE(console.wait_for("Password: ", 30));
        console.type(password);
        if (password == "wrong") {
            REQUIRE(console.wait_for("Error: cannot mount //10.0.2.100/backups (SMB: Permission denied", 60));
            REQUIRE(console.wait_for("Press Enter ", 10));
            console.type("");
        }
    }
    REQUIRE(console.wait_for("/media/smb-10.0.2.100-backups/smb-server.tib", 60));
    REQUIRE(console.wait_for("Backup (number, path or URL", 30));
    console.type("s");
    REQUIRE(console.wait_for("Share (//server/share for SMB, server:/path for NFS): ", 30));
    console.type("10.0.2.101:/export");
    REQUIRE(console.wait_for("/media/nfs-10.0.2.101-export/backups/nfs-server.tib", 60));
    CHECK_THAT(console.text(), Catch::Contains("/media/smb-10.0.2.100-backups/smb-server.tib"));
    CHECK_THAT(console.text(), !Catch::Contains("back,up"));  // typed hidden, never shown
}
