#pragma once
/// Opening a Windows volume read-write, but only when editing it offline is safe. Three states
/// make offline edits wrong, and each is refused with what to do about it:
///  - BitLocker: the volume's content is encrypted; nothing here can be read or written.
///  - dirty: Windows did not finish with the volume (a crash, or chkdsk is due); its metadata may
///    be inconsistent, and chkdsk at boot could undo edits.
///  - hibernated, or shut down with Fast Startup: Windows resumes from hiberfil.sys and
///    overwrites every edit with its saved state. With `remove_hiberfile` the volume is opened
///    anyway, and discard_hibernation() deletes hiberfil.sys as the first write of the edit, after
///    the plan was made and printed (the saved session is lost; Windows then boots fresh).

#include "windows/ntfs/NtfsVolume.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace dagda::windows::ntfs {

struct VolumeState {
    bool bitlocker = false;   ///< the boot sector says "-FVE-FS-"
    bool dirty = false;       ///< $Volume's dirty flag is set
    bool hibernated = false;  ///< hiberfil.sys holds a hibernated or Fast Startup system
};

/// Reads the state without writing anything. Throws Error{failed} when the range is not NTFS.
VolumeState inspect_volume(int fd, std::uint64_t offset, std::uint64_t size, const std::string& name);

struct EditOptions {
    bool remove_hiberfile = false;
    bool dry_run = false;  ///< check as for writing, but mount read-only
};

/// Checks the state, refuses (Error{refused}, nothing written) a BitLocker, dirty or hibernated
/// volume (the last one unless `remove_hiberfile`), then mounts it read-write (read-only with
/// `dry_run`). Opening writes nothing.
std::unique_ptr<NtfsVolume> open_for_editing(int fd, std::uint64_t offset, std::uint64_t size, const std::string& name,
                                             const EditOptions& options);

/// Deletes hiberfil.sys; false when there was none. Call it right before the first other write.
bool discard_hibernation(NtfsVolume& volume);

}  // namespace dagda::windows::ntfs
