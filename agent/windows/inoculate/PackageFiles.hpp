#pragma once
/// The files a vendor driver package may put on a Windows volume, held to what a boot driver
/// needs (issue 13: an INF once replaced System32\utilman.exe and System32\config\SAM):
///  - where each may go: a .sys straight into System32\drivers, or anything into the package's
///    own DriverStore folder; every other destination refuses the package;
///  - whether a file already there may be replaced: only the same driver's own older copy, as
///    the SYSTEM hive records it; the replaced file is kept beside it.
/// docs/windows.md ("Which files a package may write") states the rule for operators.

#include "windows/inf/DriverPackage.hpp"
#include "windows/ntfs/NtfsVolume.hpp"
#include "windows/registry/Hive.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace dagda::windows::inoculate {

/// What writing a file does: it is new, it replaces the driver's own older copy (kept as
/// `backup`), or the volume already holds exactly these bytes and nothing is written.
enum class FileWrite { create, replace, keep };

struct FileCopyAction {
    std::string source;   ///< on this machine
    std::string target;   ///< on the volume, '/' separated from its root
    std::vector<std::uint8_t> content;
    std::string why;
    FileWrite write = FileWrite::create;
    std::vector<std::uint8_t> replaced;  ///< replace: the bytes the plan found (checked again before writing)
    std::string backup;                  ///< replace: where those bytes are kept (volume path)
    std::string owner;                   ///< replace: why the old file is the driver's own older copy
};

/// Refuses (Error{refused}, naming the INF and line, the file and where it would go) a CopyFiles
/// entry that does not go where a boot driver's files belong: a `.sys` straight into
/// System32\drivers (dirid 12, no subfolder), or any file into the package's own DriverStore
/// folder (dirid 13, which the package's name and dagda's zero hash make its own).
void check_boot_destination(const std::string& inf_path, const inf::FileCopy& copy);

/// Refuses (Error{refused}) a [Version] CatalogFile that is not a plain file name: the catalog
/// is staged under that name in the package's DriverStore folder.
void check_catalog_name(const std::string& inf_path, const std::string& catalog);

/// Whether a file that exists at `relative` (from %SystemRoot%, '\' separated) and differs from
/// what `package` brings is that package's own older copy, and why (or why not).
struct Ownership {
    bool own = false;
    std::string why;
};

/// The file is the package's own older copy when it lies in the package's own DriverStore folder,
/// or when all of these hold: a service S of the package starts it (its ServiceBinary); the
/// SYSTEM hive's `control_set` has Services\S whose ImagePath names the same file and whose
/// Owners names the package's INF (Windows 8 and later write Owners; dagda writes it on every
/// Windows, so an earlier inoculation is recognised); and the INF is not one of Windows' own
/// (no `<system_root>/INF/<inf name>` on the volume: in-box INFs live there, installed vendor
/// INFs are published as oemNN.inf).
Ownership own_older_copy(const registry::Hive& hive, const std::string& control_set, const ntfs::NtfsVolume& volume,
                         const std::string& system_root, const inf::DriverPackage& package, const std::string& relative);

/// A free name beside `target` (a volume path) for the file a replacement keeps:
/// `<target>.dagda-replaced`, else `<target>.dagda-replaced.2`, `.3`... (an earlier original
/// is never overwritten).
std::string replaced_copy_name(const ntfs::NtfsVolume& volume, const std::string& target);

/// A driver file is far smaller; a file larger than this is not read to be compared or kept.
inline constexpr std::uint64_t max_replaced_size = 256ull << 20;

/// Writes one planned file (nothing for `keep`), after checking that the volume still holds what
/// the plan saw: nothing where it creates (Error{refused} otherwise), the same old bytes where it
/// replaces, which are first written to `backup` and read back. `said` receives what was done.
void write_planned_file(ntfs::NtfsVolume& volume, const FileCopyAction& file, const std::function<void(const std::string&)>& said);

}  // namespace dagda::windows::inoculate
