#include "controller/ArchiveStore.hpp"

#include "core/Error.hpp"
#include "recovery/RecoveryPlan.hpp"

#include <algorithm>
#include <filesystem>

namespace dagda::controller {

namespace fs = std::filesystem;

namespace {

/// How long this controller's own reads of a bucket's archives may take (a listing, a plan).
constexpr std::chrono::seconds own_reads{15 * 60};
/// S3's bounds for a pre-signed URL.
constexpr std::chrono::seconds shortest_url{60}, longest_url{7 * 24 * 3600};

/// The chain of `file` in `server`, newest first: the generations of its chain up to `file`.
std::vector<std::string> chain_files(const recovery::ServerSummary& server, const std::string& file) {
    for (const recovery::ChainSummary& chain : server.chains)
        for (std::size_t i = 0; i < chain.generations.size(); ++i) {
            if (chain.generations[i].file != file) continue;
            if (!chain.broken.empty()) throw Error(ErrorKind::failed, server.name + "/" + file + "'s chain is broken: " + chain.broken);
            std::vector<std::string> files;
            for (std::size_t j = i + 1; j-- > 0;) files.push_back(chain.generations[j].file);
            return files;
        }
    throw Error(ErrorKind::failed, "server " + server.name + " has no generation " + file);
}

class FolderStore final : public ArchiveStore {
public:
    explicit FolderStore(std::string folder) : folder_(std::move(folder)) {}
    const char* kind() const override { return "folder"; }
    std::vector<recovery::ServerSummary> servers() override { return recovery::servers_in(folder_); }
    recovery::ServerSummary server(const std::string& name) override { return recovery::server_in(folder_, name); }

    ChainAccess chain(const std::string& server_name, const std::string& file, std::chrono::seconds) override {
        check_server_name(server_name);
        ChainAccess out;
        out.location = (fs::path(folder_) / server_name / file).string();
        for (const std::string& name : recovery::chain_file_names(out.location)) out.files.push_back(server_name + "/" + name);
        return out;
    }

private:
    std::string folder_;
};

class BucketStore final : public ArchiveStore {
public:
    explicit BucketStore(const objectstore::BucketSettings& settings) : client_(settings) { client_.create_bucket(); }
    const char* kind() const override { return "bucket"; }

    std::vector<recovery::ServerSummary> servers() override {
        std::vector<recovery::ServerSummary> out;
        for (const std::string& name : client_.folders("")) {
            if (!plain_name(name)) continue;  // a key no server could have written
            recovery::ServerSummary server = summary(name);
            if (!server.chains.empty()) out.push_back(std::move(server));
        }
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
        return out;
    }

    recovery::ServerSummary server(const std::string& name) override {
        check_server_name(name);
        recovery::ServerSummary server = summary(name);
        if (server.chains.empty()) throw Error(ErrorKind::failed, "there is no server \"" + name + "\" in the archive store");
        return server;
    }

    ChainAccess chain(const std::string& server_name, const std::string& file, std::chrono::seconds lifetime) override {
        const std::vector<std::string> files = chain_files(server(server_name), file);
        const std::chrono::seconds bounded = std::clamp(lifetime, shortest_url, longest_url);
        ChainAccess out;
        for (const std::string& name : files) {
            const std::string url = client_.presigned_get(server_name + "/" + name, bounded);
            out.access.add_signed_url(url);
            out.urls.push_back(url);
            out.files.push_back(server_name + "/" + name);
        }
        out.location = out.urls.front();
        return out;
    }

private:
    static bool plain_name(const std::string& name) {
        try {
            check_server_name(name);
            return true;
        } catch (const Error&) {
            return false;
        }
    }

    /// The server's summary, read again only when its objects changed (their keys and ETags: an
    /// object written anew has a new ETag), so a listing costs one LIST per server.
    recovery::ServerSummary summary(const std::string& name) {
        std::string version;
        recovery::ServerFiles files;
        files.name = name;
        for (const objectstore::ObjectEntry& object : client_.list(name + "/")) {
            const std::string file = object.key.substr(name.size() + 1);
            if (file.find('/') != std::string::npos || file.size() <= 4 || file.substr(file.size() - 4) != ".tib") continue;
            files.files.push_back(file);
            version += file + "\n" + object.etag + "\n";
        }
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            const auto found = summaries_.find(name);
            if (found != summaries_.end() && found->second.first == version) return found->second.second;
        }
        std::map<std::string, std::string> urls;
        for (const std::string& file : files.files) {
            const std::string url = client_.presigned_get(name + "/" + file, own_reads);
            files.access.add_signed_url(url);
            urls[file] = url;
        }
        files.location = [urls](const std::string& file) { return urls.at(file); };
        recovery::ServerSummary server = recovery::summarize_server(files);
        const std::lock_guard<std::mutex> lock(mutex_);
        if (summaries_.size() >= 10000) summaries_.clear();  // bounded
        summaries_[name] = {version, server};
        return server;
    }

    objectstore::S3Client client_;
    std::mutex mutex_;
    std::map<std::string, std::pair<std::string, recovery::ServerSummary>> summaries_;
};

}  // namespace

void check_server_name(const std::string& name) {
    if (name.empty() || name == "." || name == ".." || name.size() > 255 || name.find('/') != std::string::npos || name.find('\0') != std::string::npos)
        throw Error(ErrorKind::usage, "a server is named without '/' or \"..\" (1 to 255 bytes): \"" + name.substr(0, 64) + "\"");
}

std::unique_ptr<ArchiveStore> make_folder_store(std::string folder) { return std::make_unique<FolderStore>(std::move(folder)); }

std::unique_ptr<ArchiveStore> make_bucket_store(const objectstore::BucketSettings& settings) { return std::make_unique<BucketStore>(settings); }

}  // namespace dagda::controller
