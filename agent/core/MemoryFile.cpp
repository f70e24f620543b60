#include "core/MemoryFile.hpp"

#include "core/Error.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dagda {

MemoryFile::MemoryFile(const std::string& name) : fd_(::memfd_create(name.c_str(), MFD_CLOEXEC)) {
    if (!fd_) throw_errno("cannot create an in-memory file for " + name);
}

MemoryFile::MemoryFile(const std::string& name, const std::vector<std::uint8_t>& content) : MemoryFile(name) {
    if (!content.empty()) write_exact(fd_.get(), content.data(), content.size(), 0, name);
}

std::string MemoryFile::path() const { return "/proc/self/fd/" + std::to_string(fd_.get()); }

std::string MemoryFile::path_for_children() const {
    return "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(fd_.get());
}

std::vector<std::uint8_t> MemoryFile::content() const {
    struct stat info {};
    if (::fstat(fd_.get(), &info) != 0) throw_errno("cannot read an in-memory file");
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(info.st_size));
    if (!bytes.empty()) read_exact(fd_.get(), bytes.data(), bytes.size(), 0, "an in-memory file");
    return bytes;
}

}  // namespace dagda
