// Issue 13, item 14: the live image's field console finds backups where a field engineer keeps
// them: USB disk partitions with exFAT, NTFS and ext4, and SMB and NFS shares it mounts (real
// Samba and NFS-Ganesha servers on the host's loopback, reached through QEMU's guestfwd).

#include "common/LoopDevice.hpp"
#include "common/Run.hpp"
#include "integration/image/LiveImage.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <netinet/in.h>

using namespace dagda::testing;
namespace fs = std::filesystem;

namespace {

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
