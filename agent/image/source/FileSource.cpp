#include "image/source/ByteSource.hpp"

#include "core/Error.hpp"
#include "core/UniqueFd.hpp"

#include <fcntl.h>

#include <cstring>
#include <sys/stat.h>

namespace dagda::image {

namespace {

class FileSource final : public ByteSource {
public:
    explicit FileSource(const std::string& path) : fd_(UniqueFd::open(path, O_RDONLY)), name_(path) {
        struct stat st {};
        if (::fstat(fd_.get(), &st) != 0) throw_errno("cannot stat " + path);
        if (!S_ISREG(st.st_mode)) throw Error(ErrorKind::failed, path + " is not a regular file");
        size_ = static_cast<std::uint64_t>(st.st_size);
    }

    std::uint64_t size() const override { return size_; }

    void read_at(std::uint64_t offset, void* buffer, std::size_t length) override {
        if (offset > size_ || length > size_ - offset)
            throw Error(ErrorKind::failed, name_ + ": wanted " + std::to_string(length) + " bytes at offset " +
                                               std::to_string(offset) + ", past the end of the file (" +
                                               std::to_string(size_) + " bytes)");
        read_exact(fd_.get(), buffer, length, offset, name_);
    }

    const std::string& name() const override { return name_; }

private:
    UniqueFd fd_;
    std::string name_;
    std::uint64_t size_ = 0;
};

class MemorySource final : public ByteSource {
public:
    MemorySource(const std::uint8_t* data, std::size_t size, std::string name) : data_(data), size_(size), name_(std::move(name)) {}
    std::uint64_t size() const override { return size_; }
    void read_at(std::uint64_t offset, void* buffer, std::size_t length) override {
        if (offset > size_ || length > size_ - offset)
            throw Error(ErrorKind::failed, name_ + ": wanted " + std::to_string(length) + " bytes at offset " +
                                               std::to_string(offset) + ", past the end (" + std::to_string(size_) + " bytes)");
        std::memcpy(buffer, data_ + offset, length);
    }
    const std::string& name() const override { return name_; }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::string name_;
};

}  // namespace

std::unique_ptr<ByteSource> open_memory_source(const std::uint8_t* data, std::size_t size, std::string name) {
    return std::make_unique<MemorySource>(data, size, std::move(name));
}

std::unique_ptr<ByteSource> open_file_source(const std::string& path) { return std::make_unique<FileSource>(path); }

}  // namespace dagda::image
