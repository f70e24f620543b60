#pragma once
/// The pre-signed URLs of a chain in the archive store's bucket, for this controller's own
/// programs (`dagda tib verify --archive-urls`, `dagda plan from-archive --archive-urls`): in a
/// file only the controller's account may read, not on a command line any local user can see in
/// `ps`, and removed once the program is done.

#include "controller/ArchiveStore.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace dagda::controller {

class ArchiveUrlsFile {
public:
    /// Writes `urls`, one per line, to `path` (mode 0600; a file left there by a killed
    /// controller is replaced). Throws Error when it cannot be written.
    ArchiveUrlsFile(std::string path, const std::vector<std::string>& urls);
    ArchiveUrlsFile(const ArchiveUrlsFile&) = delete;
    ArchiveUrlsFile& operator=(const ArchiveUrlsFile&) = delete;
    ~ArchiveUrlsFile();
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

/// A generation as this controller's own programs read it (`dagda tib ls`, `tib extract`, `plan
/// from-archive`, a plan `dagda run` runs): its path in the folder; or, from a bucket, its
/// object's address without a signature, with its chain's pre-signed URLs for a plan's
/// "archive_urls" and in a file for a program's --archive-urls (where the address finds its URL).
struct ProgramArchive {
    std::string location;
    std::vector<std::string> urls = {};
    std::unique_ptr<ArchiveUrlsFile> urls_file = nullptr;  ///< null from the folder
    /// {"--archive-urls", FILE}, or nothing from the folder.
    std::vector<std::string> options() const;
};

/// Generation `file` of `server` in `store`; a bucket's URLs last `lifetime` and are written to
/// `urls_path`. Throws as ArchiveStore::chain does.
ProgramArchive program_archive(ArchiveStore& store, const std::string& server, const std::string& file, const std::string& urls_path,
                               std::chrono::seconds lifetime);

}  // namespace dagda::controller
