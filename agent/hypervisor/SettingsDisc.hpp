#pragma once
/// The helper VM's settings CD (docs/vm-recovery.md): a small ISO 9660 image labelled
/// DAGDA-SETTINGS holding dagda/cmdline (the live image's dagda.* words) and, when given,
/// dagda/ca.pem and dagda/drivers/ (the vendor driver packages Windows is inoculated with). The live image's /init reads it on every hypervisor, VMware ESXi included, where
/// QEMU's fw_cfg does not exist. Made with libisofs (Debian's libisofs-dev, the library behind
/// xorriso) rather than by hand: ISO 9660 with Rock Ridge names is easy to get subtly wrong.

#include <string>

namespace dagda::hypervisor {

/// The volume label /init looks for.
inline constexpr const char* settings_disc_label = "DAGDA-SETTINGS";

/// What the CD holds.
struct SettingsDiscContents {
    std::string cmdline;         ///< the dagda.* words
    std::string ca_pem;          ///< "" for none
    std::string drivers_folder;  ///< a local folder copied whole to dagda/drivers/ ("" for none); its links are kept as links
};

/// The ISO image's bytes. Throws Error{failed} when libisofs cannot make it (a drivers folder it cannot read).
std::string settings_disc_image(const SettingsDiscContents& contents);

/// Writes that image to `path` (mode 0600: the cmdline holds the helper's token), replacing it.
void write_settings_disc(const std::string& path, const SettingsDiscContents& contents);

}  // namespace dagda::hypervisor
