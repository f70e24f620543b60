// An archive written to a local file: under a ".partial" name, synced and renamed once complete.

#include "image/sink/ArchiveSink.hpp"

#include "core/Error.hpp"
#include "core/UniqueFd.hpp"
#include "image/source/ByteSource.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

namespace dagda::image {

namespace {

// Writeback is started every this many bytes, so the final fsync has little left to do.
constexpr std::uint64_t writeback_step = 8u << 20;

class FileSink final : public ArchiveSink {
public:
    explicit FileSink(const std::string& path)
        : path_(path), partial_path_(path + ".partial"), fd_(UniqueFd::open(partial_path_, O_WRONLY | O_CREAT | O_TRUNC)) {}

    ~FileSink() override {
        if (!committed_) ::unlink(partial_path_.c_str());
    }

    void append(const void* data, std::size_t size) override {
        write_exact(fd_.get(), data, size, offset_, partial_path_);
        offset_ += size;
        if (offset_ - written_back_ >= writeback_step) {
            ::sync_file_range(fd_.get(), static_cast<off_t>(written_back_), static_cast<off_t>(offset_ - written_back_), SYNC_FILE_RANGE_WRITE);
            written_back_ = offset_;
        }
    }

    void commit(std::uint64_t size, const std::string&) override {
        if (size != offset_) throw Error(ErrorKind::failed, partial_path_ + ": " + std::to_string(offset_) + " bytes written, not " + std::to_string(size));
        if (::fsync(fd_.get()) != 0) throw_errno("cannot flush " + partial_path_);
        if (std::rename(partial_path_.c_str(), path_.c_str()) != 0) throw_errno("cannot rename " + partial_path_ + " to " + path_);
        committed_ = true;
    }

    const std::string& name() const override { return path_; }

private:
    std::string path_, partial_path_;
    UniqueFd fd_;
    std::uint64_t offset_ = 0, written_back_ = 0;
    bool committed_ = false;
};

}  // namespace

std::unique_ptr<ArchiveSink> open_file_sink(const std::string& path) { return std::make_unique<FileSink>(path); }

std::unique_ptr<ArchiveSink> open_sink(const std::string& location, const HttpsTrust& trust, const UploadOptions& options) {
    return is_url(location) ? open_upload_sink(location, trust, options) : open_file_sink(location);
}

}  // namespace dagda::image
