#include "windows/ntfs/EditableVolume.hpp"

#include "core/Error.hpp"
#include "core/UniqueFd.hpp"
#include "windows/ntfs/NtfsEditor.hpp"
#include "windows/ntfs/NtfsHandles.hpp"

#include <array>
#include <cerrno>
#include <cstring>

namespace dagda::windows::ntfs {

VolumeState inspect_volume(int fd, std::uint64_t offset, std::uint64_t size, const std::string& name) {
    VolumeState state;
    std::array<std::uint8_t, 512> boot{};
    read_exact(fd, boot.data(), boot.size(), offset, name);
    // BitLocker replaces the OEM id with its own signature and hides the real boot sector.
    if (std::memcmp(boot.data() + 3, "-FVE-FS-", 8) == 0) {
        state.bitlocker = true;
        return state;
    }
    const NtfsVolume volume(fd, offset, size, name, Access::read_only);
    state.dirty = (volume.handle()->flags & VOLUME_IS_DIRTY) != 0;
    errno = 0;
    if (ntfs_volume_check_hiberfile(volume.handle(), 0) != 0) {
        if (errno != EPERM) throw Error(ErrorKind::failed, name + ": cannot read hiberfil.sys: " + volume.reason(errno));
        state.hibernated = true;
    }
    return state;
}

std::unique_ptr<NtfsVolume> open_for_editing(int fd, std::uint64_t offset, std::uint64_t size, const std::string& name,
                                             const EditOptions& options) {
    const VolumeState state = inspect_volume(fd, offset, size, name);
    if (state.bitlocker)
        throw Error(ErrorKind::refused, name + " is encrypted with BitLocker; it cannot be edited offline. Unlock or decrypt it "
                                               "in Windows (manage-bde -off) before the recovery (nothing was written)");
    if (state.dirty)
        throw Error(ErrorKind::refused, name + " is marked dirty: Windows did not close it cleanly and chkdsk is due. Let Windows "
                                               "run chkdsk and shut down fully, then try again (nothing was written)");
    if (state.hibernated && !options.remove_hiberfile)
        throw Error(ErrorKind::refused, name + " holds a hibernated Windows (hibernation or Fast Startup): Windows would resume "
                                               "and discard every offline edit. Shut Windows down fully, or give "
                                               "--remove-hiberfile to delete hiberfil.sys and lose the saved session (nothing was written)");
    if (options.dry_run) return std::make_unique<NtfsVolume>(fd, offset, size, name, Access::read_only);
    if (!state.hibernated) return std::make_unique<NtfsVolume>(fd, offset, size, name, Access::read_write);
    return std::make_unique<NtfsVolume>(fd, offset, size, name, Access::read_write_discarding_hibernation);
}

bool discard_hibernation(NtfsVolume& volume) { return remove_file(volume, "/hiberfil.sys"); }

}  // namespace dagda::windows::ntfs
