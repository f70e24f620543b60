#pragma once
/// The names of the archive folder's files that a URL or a request may name (docs/api.md): FILE,
/// or SERVER/FILE in a server's folder, each part a plain name.

#include <string>

namespace dagda::controller {

/// Whether `name` is one file directly in a folder: no path, no hidden file.
bool plain_file_name(const std::string& name);

/// Whether `name` is a file of the archive folder: FILE, or SERVER/FILE (a server's folder,
/// docs/vm-recovery.md), each part a plain name.
bool archive_file_name(const std::string& name);

}  // namespace dagda::controller
