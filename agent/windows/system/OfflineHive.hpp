#pragma once
/// A registry hive of an offline Windows volume: copied out of NTFS into memory, checked
/// (header, checksum, dirty state and logs, per HiveHeader.hpp's policy), opened with hivex,
/// and after editing written back with the original kept until the new hive is complete.

#include "core/MemoryFile.hpp"
#include "windows/ntfs/NtfsVolume.hpp"
#include "windows/registry/Hive.hpp"
#include "windows/registry/HiveHeader.hpp"

#include <memory>
#include <string>

namespace dagda::windows::system {

class OfflineHive {
public:
    /// Loads the hive at `path` of the volume; `label` names it in messages ("SYSTEM"). For
    /// editing, a dirty hive whose logs hold data is refused (Error{refused}); otherwise the
    /// verdict's warning is kept for the caller to show.
    OfflineHive(const ntfs::NtfsVolume& volume, const std::string& path, const std::string& label, bool for_editing);
    /// The same for a hive read from elsewhere (a FAT EFI partition): its bytes and its logs.
    OfflineHive(const std::vector<std::uint8_t>& bytes, const std::vector<registry::HiveLog>& logs, const std::string& where,
                const std::string& path, const std::string& label, bool for_editing);

    registry::Hive& hive() noexcept { return *hive_; }
    const registry::Hive& hive() const noexcept { return *hive_; }
    /// The path as spelled on the volume.
    const std::string& path() const noexcept { return path_; }
    const std::string& label() const noexcept { return label_; }
    /// A warning about the hive's state (dirty without logs), or empty.
    const std::string& warning() const noexcept { return warning_; }
    std::uint64_t size() const noexcept { return size_; }

    /// Commits the edits into memory and returns the new hive's bytes, after checking that they
    /// are a valid hive hivex can open.
    std::vector<std::uint8_t> committed() const;
    /// committed(), written over the file on the volume safely (ntfs::replace_file_safely).
    void save(ntfs::NtfsVolume& volume);

private:
    void open(const std::string& name, const std::vector<registry::HiveLog>& logs, bool for_editing);

    std::string path_;
    std::string label_;
    std::string warning_;
    std::uint64_t size_ = 0;
    MemoryFile file_;
    std::unique_ptr<registry::Hive> hive_;
};

}  // namespace dagda::windows::system
