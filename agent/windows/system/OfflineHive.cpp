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
    std::vector<registry::HiveLog> logs;
    for (const char* suffix : {".LOG", ".LOG1", ".LOG2"})
        if (const auto size = ntfs::file_size(volume, path_ + suffix)) logs.push_back({path_ + suffix, *size});
    open(label + " (" + volume.name() + ":" + path_ + ")", logs, for_editing);
}

OfflineHive::OfflineHive(const std::vector<std::uint8_t>& bytes, const std::vector<registry::HiveLog>& logs, const std::string& where,
                         const std::string& path, const std::string& label, bool for_editing)
    : path_(path), label_(label), file_(label, bytes) {
    open(label + " (" + where + ":" + path_ + ")", logs, for_editing);
}

void OfflineHive::open(const std::string& name, const std::vector<registry::HiveLog>& logs, bool for_editing) {
    const std::vector<std::uint8_t> bytes = file_.content();
    size_ = bytes.size();
    const registry::HiveHeader header = registry::parse_hive_header(bytes, name);
    const registry::HiveVerdict verdict = registry::judge_hive(header, logs, name);
    if (verdict.refuse && for_editing) throw Error(ErrorKind::refused, verdict.message + " (nothing was written)");
    warning_ = verdict.message;
    hive_ = std::make_unique<registry::Hive>(file_.path(), name, for_editing);
}

std::vector<std::uint8_t> OfflineHive::committed() const {
    MemoryFile edited(label_ + "-edited");
    hive_->commit(edited.path());
    std::vector<std::uint8_t> bytes = edited.content();
    // Never put back a hive that would not open: check it the way this tool reads hives.
    registry::parse_hive_header(bytes, label_ + " as edited");
    const registry::Hive check(edited.path(), label_ + " as edited", false);
    return bytes;
}

void OfflineHive::save(ntfs::NtfsVolume& volume) { ntfs::replace_file_safely(volume, path_, committed()); }

}  // namespace dagda::windows::system
