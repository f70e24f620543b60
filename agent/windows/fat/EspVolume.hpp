#pragma once
/// Files on a FAT EFI system partition, where UEFI Windows keeps its boot manager and BCD store
/// (\EFI\Microsoft\Boot\BCD). Read and written with mtools (mcopy, mdel) on a byte range of the
/// disk or image: Debian has no FAT library, and mtools is the well-kept tool that edits FAT
/// without mounting it. Names match case-insensitively, as FAT's do.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dagda::windows::fat {

class EspVolume {
public:
    /// The FAT filesystem at byte `offset` of `device` (a disk, an image or a partition).
    EspVolume(std::string device, std::uint64_t offset, std::string name);

    const std::string& name() const noexcept { return name_; }
    /// The content of `path` ("/EFI/Microsoft/Boot/BCD"), or nullopt when it does not exist.
    std::optional<std::vector<std::uint8_t>> read_file(const std::string& path, std::uint64_t limit) const;
    /// Writes `content` to `path` (replacing it) and reads it back.
    void write_file(const std::string& path, const std::vector<std::uint8_t>& content);
    /// Removes `path`; false when it did not exist.
    bool remove_file(const std::string& path);
    /// As ntfs::replace_file_safely: the original is copied to `<path>.dagda-backup` and read back
    /// first, and removed only after the new content reads back.
    void replace_file_safely(const std::string& path, const std::vector<std::uint8_t>& content);

private:
    std::string image_spec() const;

    std::string device_;
    std::uint64_t offset_;
    std::string name_;
};

/// Whether a partition's first sector is a FAT boot sector (FAT12/16/32 signature and 55 AA).
bool is_fat_boot_sector(const std::uint8_t* sector);

}  // namespace dagda::windows::fat
