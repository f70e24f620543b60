#include "windows/system/OfflineHive.hpp"

#include "core/Error.hpp"
#include "windows/ntfs/NtfsEditor.hpp"

namespace dagda::windows::system {

namespace {

/// Far above any real hive (SYSTEM hives reach a few hundred MiB at worst), low enough that a
/// corrupt size cannot exhaust memory.
constexpr std::uint64_t largest_hive = 1ull << 30;

std::vector<std::uint8_t> read_hive(const ntfs::NtfsVolume& volume, const std::string& path, const std::string& label) {
    if (!ntfs::file_size(volume, path)) throw Error(ErrorKind::failed, volume.name() + ": the " + label + " hive " + path + " does not exist");
    return ntfs::read_file(volume, path, largest_hive);
}

}  // namespace

OfflineHive::OfflineHive(const ntfs::NtfsVolume& volume, const std::string& path, const std::string& label, bool for_editing)
    : path_(ntfs::find_path(volume, path).value_or(path)),
      label_(label),
      file_(label, read_hive(volume, path, label)) {
    const std::vector<std::uint8_t> bytes = file_.content();
    size_ = bytes.size();
    const std::string name = label + " (" + volume.name() + ":" + path_ + ")";
    const registry::HiveHeader header = registry::parse_hive_header(bytes, name);
    std::vector<registry::HiveLog> logs;
    for (const char* suffix : {".LOG", ".LOG1", ".LOG2"})
        if (const auto size = ntfs::file_size(volume, path_ + suffix)) logs.push_back({path_ + suffix, *size});
    const registry::HiveVerdict verdict = registry::judge_hive(header, logs, name);
    if (verdict.refuse && for_editing) throw Error(ErrorKind::refused, verdict.message + " (nothing was written)");
    warning_ = verdict.message;
    hive_ = std::make_unique<registry::Hive>(file_.path(), name, for_editing);
}

void OfflineHive::save(ntfs::NtfsVolume& volume) {
    MemoryFile committed(label_ + "-edited");
    hive_->commit(committed.path());
    const std::vector<std::uint8_t> bytes = committed.content();
    // Never put back a hive that would not open: check it the way this tool reads hives.
    registry::parse_hive_header(bytes, label_ + " as edited");
    registry::Hive check(committed.path(), label_ + " as edited", false);
    ntfs::replace_file_safely(volume, path_, bytes);
}

}  // namespace dagda::windows::system
