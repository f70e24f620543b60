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

#include "common/Run.hpp"
#include "common/WindowsVolume.hpp"
#include "integration/image/LiveImage.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

using namespace dagda::testing;
namespace fs = std::filesystem;

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

