#pragma once
/// The iPXE scripts the controller's boot port serves (docs/api.md, "Boot port"). A DHCP server
/// hands iPXE the generic script; it asks for the script of the card it booted from, which starts
/// the live image as that machine's agent (an enrolment made with the card's MAC, armed for this
/// boot), or sends the machine on to its next boot device (its own disk), or for a card the
/// controller does not know, when the operator wants that, starts the field engineer's console.

#include <optional>
#include <string>

namespace dagda::controller {

/// "aa:bb:cc:dd:ee:ff" for a MAC written with ':' or '-' between six two-digit hex bytes, in any
/// case (iPXE's ${mac:hexhyp} writes hyphens); nullopt for anything else.
std::optional<std::string> canonical_mac(const std::string& text);

struct BootScriptSettings {
    std::string boot_url;        ///< where the boot port's files are: "http://HOST:PORT/boot"
    std::string controller_url;  ///< what agents dial: "wss://HOST:PORT"
    std::string pin;             ///< the controller certificate's pin, which agents trust
    std::string kernel_options;  ///< console settings and the like, before the dagda.* ones
};

/// The script DHCP names: it chains to machine_script() for the card iPXE booted from.
std::string chain_script(const BootScriptSettings& settings);

/// The script of the enrolled machine with this MAC: the live image as its agent, which carries
/// the enrolment's token (why the boot port serves it only for the enrolled MAC, and the
/// controller admits that token only from a machine reporting that card: Store::admit).
std::string machine_script(const BootScriptSettings& settings, const std::string& mac, const std::string& enrolment,
                           const std::string& token);

/// The script for a card no enrolment names, when the controller offers them the console: the
/// live image's console, no controller settings. It names no card, so it is the same for all.
std::string console_script(const BootScriptSettings& settings);

/// A script that ends iPXE, so the firmware boots the next device (the machine's disk). The same
/// text for every card without an armed enrolment, enrolled or not: the boot port does not tell a
/// stranger which MACs are enrolled.
std::string next_device_script();

}  // namespace dagda::controller
