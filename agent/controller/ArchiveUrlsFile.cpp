#include "controller/ArchiveUrlsFile.hpp"

#include "core/OwnerOnlyFile.hpp"

#include <unistd.h>

namespace dagda::controller {

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
    out.urls = std::move(chain.urls);
    // From a bucket, the program is named the newest object's address, without its signature:
    // it reads the signed URL from the file (open_source), and `ps` shows no credential.
    out.location = out.urls.empty() ? std::move(chain.location) : chain.location.substr(0, chain.location.find('?'));
    if (!out.urls.empty()) out.urls_file = std::make_unique<ArchiveUrlsFile>(urls_path, out.urls);
    return out;
}

}  // namespace dagda::controller
