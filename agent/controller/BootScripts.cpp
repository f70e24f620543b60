#include "controller/BootScripts.hpp"

#include <cctype>

namespace dagda::controller {

namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower >= 'a' && lower <= 'f') return lower - 'a' + 10;
    return -1;
}

/// Kernel and initramfs lines shared by every script. initrd= names the initramfs for the
/// kernel's EFI stub, which UEFI machines boot through.
std::string boot_lines(const BootScriptSettings& settings, const std::string& kernel_arguments) {
    return "kernel " + settings.boot_url + "/vmlinuz initrd=initrd.img " + settings.kernel_options + " " + kernel_arguments + "\n" +
           "initrd " + settings.boot_url + "/initrd.img\n" + "boot\n";
}

}  // namespace

std::optional<std::string> canonical_mac(const std::string& text) {
    if (text.size() != 17) return std::nullopt;
    const char separator = text[2];
    if (separator != ':' && separator != '-') return std::nullopt;
    std::string out;
    for (std::size_t i = 0; i < 17; i += 3) {
        if (i > 0 && text[i - 1] != separator) return std::nullopt;
        const int high = hex_digit(text[i]), low = hex_digit(text[i + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        if (i > 0) out += ':';
        out += "0123456789abcdef"[high];
        out += "0123456789abcdef"[low];
    }
    return out;
}

std::string chain_script(const BootScriptSettings& settings) {
    // ${netX/...} is the card iPXE opened last: the one it booted from. hexhyp keeps ':' out of
    // the URL.
    return "#!ipxe\n"
           "# Dagda Rescue: ask the controller for this machine's script\n"
           "chain --autofree " +
           settings.boot_url + "/machine.ipxe?mac=${netX/mac:hexhyp}\n";
}

std::string machine_script(const BootScriptSettings& settings, const std::string& mac, const std::string& enrolment,
                           const std::string& token) {
    return "#!ipxe\n"
           "# Dagda Rescue agent for the enrolment " + enrolment + " (" + mac + ")\n" +
           boot_lines(settings, "dagda.mode=agent dagda.controller=" + settings.controller_url + " dagda.pin=" + settings.pin +
                                    " dagda.enrolment=" + enrolment + " dagda.token=" + token);
}

std::string next_device_script() { return "#!ipxe\necho Dagda Rescue: no recovery is armed for this card, booting the next device\nexit\n"; }

std::string console_script(const BootScriptSettings& settings) {
    return "#!ipxe\n"
           "echo Dagda Rescue: no recovery is armed for this card, starting the console\n" +
           boot_lines(settings, "dagda.mode=console");
}

}  // namespace dagda::controller
