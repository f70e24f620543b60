#pragma once
/// Files a DDInstall section copies: CopyFiles (file-list sections and `@file`), DestinationDirs
/// with their dirids, and where each file comes from (SourceDisksNames / SourceDisksFiles).

#include "windows/inf/InfFile.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dagda::windows::inf {

/// A folder as INFs name it: a dirid and an optional subfolder below it.
struct InfDirectory {
    unsigned dirid = 0;
    std::string subdir;  ///< '\' separated, "" for the dirid itself
};

/// The folder `dirid` stands for, relative to %SystemRoot% and '\' separated ("" for
/// %SystemRoot% itself): 10 "", 11 System32, 12 System32\drivers, 13 the package's
/// DriverStore folder `System32\DriverStore\FileRepository\<store_folder>`, 17 INF, 18 Help,
/// 20 Fonts, 23 System32\spool\drivers\color, 50 System, 51 System32\spool,
/// 52 System32\spool\drivers, 55 System32\spool\prtprocs. std::nullopt for any other dirid
/// (outside %SystemRoot%, per-user, or unknown): the driver-package layer refuses those.
std::optional<std::string> dirid_folder(unsigned dirid, const std::string& store_folder);

/// `name` inside `directory`, relative to %SystemRoot% ("System32\drivers\viostor.sys").
/// Throws Error{failed} for a dirid dirid_folder does not know (callers check first).
std::string system_root_path(const InfDirectory& directory, const std::string& name, const std::string& store_folder);

/// `path` ('\' or '/' separated) rebuilt with `separator`, empty and "." components dropped;
/// std::nullopt when a component is "..", which would leave the folder it is relative to.
std::optional<std::string> safe_relative_path(const std::string& path, char separator);

/// One file a CopyFiles directive copies.
struct FileCopy {
    std::string dest_name;       ///< the name on the target
    std::string source_name;     ///< the name in the package (dest_name unless renamed)
    std::string source_path;     ///< relative to the INF's folder, '/' separated: the disk's path
                                 ///< from SourceDisksNames, the SourceDisksFiles subdir, the name
    unsigned disk_id = 0;        ///< the SourceDisksFiles disk; 0 when the file is not listed there
    InfDirectory destination;    ///< from DestinationDirs
    std::string target_path;     ///< relative to %SystemRoot%, e.g. "System32\drivers\viostor.sys"
    std::uint32_t flags = 0;     ///< COPYFLG_* as written (0x2 NOSKIP, 0x1 WARN_IF_SKIP...)
    std::string section;         ///< the file-list section, "" for a direct `@file`
    unsigned line = 0;
};

/// Where files of `copy_section` go: its DestinationDirs entry, else DefaultDestDir, else
/// dirid 11 (setupapi's default). `copy_section` "" asks for DefaultDestDir (`@file` copies).
/// Throws inf_error at the DestinationDirs line for a non-numeric or unknown dirid or a
/// subdir that climbs out with "..".
InfDirectory destination_dir(const InfFile& inf, const std::string& copy_section, const std::string& store_folder);

/// Every file the `CopyFiles = ...` lines of `install` copy, in order. `arch` picks decorated
/// SourceDisksNames.<arch> / SourceDisksFiles.<arch> first. Throws inf_error at the referring
/// line for a missing file-list section, and at the file's line for a missing or unsafe name.
std::vector<FileCopy> copy_files(const InfFile& inf, const InfSection& install, const std::string& arch,
                                 const std::string& store_folder);

}  // namespace dagda::windows::inf
