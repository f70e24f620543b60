#pragma once
/// An anonymous file in memory (memfd) with a path other libraries can open: hivex opens hives
/// by file name, and the hives being edited live inside NTFS volumes that are never mounted, so
/// each one is copied into a MemoryFile, edited there, and written back. Nothing touches the
/// machine's disks, and nothing is left behind when the process dies.

#include "core/UniqueFd.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dagda {

class MemoryFile {
public:
    /// An empty file; `name` shows in /proc for debugging only.
    explicit MemoryFile(const std::string& name);
    /// A file holding `content`.
    MemoryFile(const std::string& name, const std::vector<std::uint8_t>& content);

    /// A path that opens this file ("/proc/self/fd/N"), valid while the object lives.
    std::string path() const;
    /// The same for a helper program this process starts ("/proc/<our pid>/fd/N").
    std::string path_for_children() const;
    /// The whole current content (after another library wrote through path()).
    std::vector<std::uint8_t> content() const;

private:
    UniqueFd fd_;
};

}  // namespace dagda
