#include "windows/fat/EspVolume.hpp"

#include "core/Error.hpp"
#include "core/MemoryFile.hpp"
#include "core/Subprocess.hpp"

#include <cstring>

namespace dagda::windows::fat {

namespace {

/// mtools checks the boot sector's geometry against the device and refuses images and
/// partitions that do not look like floppies or whole disks; the range is given exactly anyway.
const std::vector<std::string> mtools_environment{"MTOOLS_SKIP_CHECK=1", "MTOOLS_LOWER_CASE=0"};

std::string fat_path(const std::string& path) {
    std::string out = "::" + (path.empty() || path.front() != '/' ? "/" + path : path);
    for (char& c : out)
        if (c == '\\') c = '/';
    return out;
}

bool says_missing(const ProgramResult& result) {
    return result.err.find("not found") != std::string::npos || result.err.find("No such file") != std::string::npos;
}

}  // namespace

bool is_fat_boot_sector(const std::uint8_t* sector) {
    if (sector[510] != 0x55 || sector[511] != 0xAA) return false;
    return std::memcmp(sector + 0x52, "FAT32   ", 8) == 0 || std::memcmp(sector + 0x36, "FAT16   ", 8) == 0 ||
           std::memcmp(sector + 0x36, "FAT12   ", 8) == 0 || std::memcmp(sector + 0x36, "FAT     ", 8) == 0;
}

EspVolume::EspVolume(std::string device, std::uint64_t offset, std::string name)
    : device_(std::move(device)), offset_(offset), name_(std::move(name)) {}

std::string EspVolume::image_spec() const { return device_ + "@@" + std::to_string(offset_); }

std::optional<std::vector<std::uint8_t>> EspVolume::read_file(const std::string& path, std::uint64_t limit) const {
    MemoryFile copy(name_ + path);
    const ProgramResult result =
        run_program({"mcopy", "-n", "-i", image_spec(), fat_path(path), copy.path_for_children()}, mtools_environment);
    if (result.exit_code != 0) {
        if (says_missing(result)) return std::nullopt;
        throw Error(ErrorKind::failed, name_ + ": mcopy cannot read " + path + ": " + result.err);
    }
    std::vector<std::uint8_t> content = copy.content();
    if (content.size() > limit)
        throw Error(ErrorKind::failed, name_ + ": " + path + " is " + std::to_string(content.size()) + " bytes, more than it may hold");
    return content;
}

void EspVolume::write_file(const std::string& path, const std::vector<std::uint8_t>& content) {
    const MemoryFile source(name_ + path, content);
    const ProgramResult result =
        run_program({"mcopy", "-o", "-n", "-i", image_spec(), source.path_for_children(), fat_path(path)}, mtools_environment);
    if (result.exit_code != 0) throw Error(ErrorKind::failed, name_ + ": mcopy cannot write " + path + ": " + result.err);
    if (read_file(path, content.size()) != content) throw Error(ErrorKind::failed, name_ + ": " + path + " does not read back as written");
}

bool EspVolume::remove_file(const std::string& path) {
    const ProgramResult result = run_program({"mdel", "-i", image_spec(), fat_path(path)}, mtools_environment);
    if (result.exit_code == 0) return true;
    if (says_missing(result)) return false;
    throw Error(ErrorKind::failed, name_ + ": mdel cannot remove " + path + ": " + result.err);
}

void EspVolume::replace_file_safely(const std::string& path, const std::vector<std::uint8_t>& content) {
    const auto original = read_file(path, UINT64_MAX);
    if (!original) throw Error(ErrorKind::failed, name_ + ": " + path + " does not exist");
    const std::string backup = path + ".dagda-backup";
    write_file(backup, *original);
    try {
        write_file(path, content);
    } catch (const Error& error) {
        throw Error(ErrorKind::failed, std::string(error.what()) + "; the original is kept in " + backup);
    }
    remove_file(backup);
}

}  // namespace dagda::windows::fat
