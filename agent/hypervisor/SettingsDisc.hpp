#pragma once
/// The helper VM's settings CD (docs/vm-recovery.md): a small ISO 9660 image labelled
/// DAGDA-SETTINGS holding dagda/cmdline (the live image's dagda.* words) and, when given,
/// dagda/ca.pem. The live image's /init reads it on every hypervisor, VMware ESXi included, where
/// QEMU's fw_cfg does not exist. Made with libisofs (Debian's libisofs-dev, the library behind
/// xorriso) rather than by hand: ISO 9660 with Rock Ridge names is easy to get subtly wrong.

#include <string>

namespace dagda::hypervisor {

/// The volume label /init looks for.
inline constexpr const char* settings_disc_label = "DAGDA-SETTINGS";

/// The ISO image's bytes. Throws Error{failed} when libisofs cannot make it.
std::string settings_disc_image(const std::string& cmdline, const std::string& ca_pem);

/// Writes that image to `path` (mode 0600: the cmdline holds the helper's token), replacing it.
void write_settings_disc(const std::string& path, const std::string& cmdline, const std::string& ca_pem);

}  // namespace dagda::hypervisor
