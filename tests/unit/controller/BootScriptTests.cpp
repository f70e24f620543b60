// The iPXE scripts of the controller's boot port: what iPXE is told to fetch and which settings
// the live image's kernel gets; and the MAC spellings iPXE and operators write.

#include "controller/BootScripts.hpp"

#include <catch2/catch.hpp>

using namespace dagda::controller;

namespace {

BootScriptSettings settings() {
    BootScriptSettings s;
    s.boot_url = "http://10.0.2.2:8080/boot";
    s.controller_url = "wss://10.0.2.2:8443";
    s.pin = "AB:CD";
    s.kernel_options = "console=ttyS0,115200";
    return s;
}

}  // namespace

TEST_CASE("BootScripts: MAC addresses in either iPXE spelling, any case, and nothing else", "[controller][pxe]") {
    CHECK(canonical_mac("52:54:00:AA:bb:01") == "52:54:00:aa:bb:01");
    CHECK(canonical_mac("52-54-00-aa-BB-01") == "52:54:00:aa:bb:01");
    for (const char* bad : {"", "52:54:00:aa:bb", "52:54:00:aa:bb:01:02", "52:54-00:aa:bb:01", "52.54.00.aa.bb.01", "5254:00:aa:bb:01:",
                            "52:54:00:aa:bb:0g", " 52:54:00:aa:bb:01", "52:54:00:aa:bb:1"}) {
        INFO(bad);
        CHECK_FALSE(canonical_mac(bad));
    }
}

TEST_CASE("BootScripts: the chain script asks for the booting card's script, and an enrolled card's boots its agent", "[controller][pxe]") {
    CHECK(chain_script(settings()) ==
          "#!ipxe\n# Dagda Rescue: ask the controller for this machine's script\n"
          "chain --autofree http://10.0.2.2:8080/boot/machine.ipxe?mac=${netX/mac:hexhyp}\n");
    CHECK(machine_script(settings(), "52:54:00:aa:bb:01", "srv01", "f00d") ==
          "#!ipxe\n# Dagda Rescue agent for the enrolment srv01 (52:54:00:aa:bb:01)\n"
          "kernel http://10.0.2.2:8080/boot/vmlinuz initrd=initrd.img console=ttyS0,115200 dagda.mode=agent "
          "dagda.controller=wss://10.0.2.2:8443 dagda.pin=AB:CD dagda.enrolment=srv01 dagda.token=f00d\n"
          "initrd http://10.0.2.2:8080/boot/initrd.img\nboot\n");
    CHECK(next_device_script() == "#!ipxe\necho Dagda Rescue: no recovery is armed for this card, booting the next device\nexit\n");
    const std::string console = console_script(settings());
    CHECK(console.rfind("#!ipxe\necho Dagda Rescue: no recovery is armed for this card, starting the console\n", 0) == 0);
    CHECK_THAT(console, Catch::EndsWith("initrd=initrd.img console=ttyS0,115200 dagda.mode=console\ninitrd http://10.0.2.2:8080/boot/initrd.img\nboot\n"));
}
