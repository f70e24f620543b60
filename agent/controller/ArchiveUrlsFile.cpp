#include "controller/ArchiveUrlsFile.hpp"

#include "core/Error.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace dagda::controller {

void write_owner_only(const std::string& path, const std::string& text) {
    ::unlink(path.c_str());  // O_EXCL below: never a file (or link) someone else made there
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) throw_errno("cannot write " + path);
    std::size_t written = 0;
    while (written < text.size()) {
        const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ::close(fd);
            ::unlink(path.c_str());
            throw Error(ErrorKind::failed, "cannot write " + path);
        }
        written += static_cast<std::size_t>(n);
    }
    ::close(fd);
}

ArchiveUrlsFile::ArchiveUrlsFile(std::string path, const std::vector<std::string>& urls) : path_(std::move(path)) {
    std::string text;
    for (const std::string& url : urls) text += url + "\n";
    write_owner_only(path_, text);
}

ArchiveUrlsFile::~ArchiveUrlsFile() { ::unlink(path_.c_str()); }

std::vector<std::string> ProgramArchive::options() const {
    if (!urls_file) return {};
    return {"--archive-urls", urls_file->path()};
}

ProgramArchive program_archive(ArchiveStore& store, const std::string& server, const std::string& file, const std::string& urls_path,
                               std::chrono::seconds lifetime) {
    ChainAccess chain = store.chain(server, file, lifetime);
    ProgramArchive out;
    out.location = std::move(chain.location);
    out.urls = std::move(chain.urls);
    if (!out.urls.empty()) out.urls_file = std::make_unique<ArchiveUrlsFile>(urls_path, out.urls);
    return out;
}

}  // namespace dagda::controller
