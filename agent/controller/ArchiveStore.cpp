#include "controller/ArchiveStore.hpp"

#include "core/Error.hpp"
#include "core/UniqueFd.hpp"
#include "recovery/RecoveryPlan.hpp"

#include <algorithm>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
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
    std::optional<recovery::ServerSummary> find_server(const std::string& name) override {
        check_server_name(name);
        std::error_code none;
        if (!fs::is_directory(fs::symlink_status(fs::path(folder_) / name, none))) return std::nullopt;
        recovery::ServerSummary server = recovery::server_in(folder_, name);
        return server;
    }

    ChainAccess chain(const std::string& server_name, const std::string& file, std::chrono::seconds) override {
        check_server_name(server_name);
        ChainAccess out;
        out.location = (fs::path(folder_) / server_name / file).string();
        for (const std::string& name : recovery::chain_file_names(out.location)) out.files.push_back(server_name + "/" + name);
        out.agent_location = out.location;
        return out;
    }

    std::string read_location(const std::string& name) override { return (fs::path(folder_) / name).string(); }
    std::optional<std::uint64_t> size_in(const std::string& name) override {
        std::error_code none;
        const fs::path path = fs::path(folder_) / name;
        if (!fs::is_regular_file(fs::symlink_status(path, none))) return std::nullopt;
        return fs::file_size(path, none);
    }
    std::size_t put_file(const std::string& name, const std::string&, const std::atomic<bool>&) override {
        throw Error(ErrorKind::failed, "the archive folder takes " + name + " by a rename, not a copy");
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
        std::optional<recovery::ServerSummary> server = find_server(name);
        if (!server) throw Error(ErrorKind::failed, "there is no server \"" + name + "\" in the archive store");
        return std::move(*server);
    }
    std::optional<recovery::ServerSummary> find_server(const std::string& name) override {
        check_server_name(name);
        recovery::ServerSummary server = summary(name);
        if (server.chains.empty()) return std::nullopt;
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
            out.agent_urls.push_back(client_.presigned_get(server_name + "/" + name, bounded, objectstore::S3Client::Reader::agent));
            out.files.push_back(server_name + "/" + name);
        }
        out.location = out.urls.front();
        out.agent_location = out.agent_urls.front();
        return out;
    }

    std::string read_location(const std::string& name) override { return client_.presigned_get(name, own_reads); }
    std::optional<std::uint64_t> size_in(const std::string& name) override { return client_.size_of(name); }
    std::size_t put_file(const std::string& name, const std::string& path, const std::atomic<bool>& stop) override;

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

std::string md5_of(const std::uint8_t* bytes, std::size_t size, std::uint8_t (&digest)[16]) {
    unsigned int length = 0;
    if (!EVP_Digest(bytes, size, digest, &length, EVP_md5(), nullptr) || length != 16) throw Error(ErrorKind::failed, "OpenSSL could not compute an MD5");
    static const char digits[] = "0123456789abcdef";
    std::string hex;
    for (std::uint8_t b : digest) hex += {digits[b >> 4], digits[b & 15]};
    return hex;
}

std::size_t BucketStore::put_file(const std::string& name, const std::string& path, const std::atomic<bool>& stop) {
    const UniqueFd file = UniqueFd::open(path, O_RDONLY | O_NOFOLLOW);
    struct stat info {};
    if (::fstat(file.get(), &info) != 0 || info.st_size <= 0) throw Error(ErrorKind::failed, path + " is not an archive to put into the store");
    const auto size = static_cast<std::uint64_t>(info.st_size);
    // Parts of 64 MiB, larger for an archive that would need more than S3's 10,000.
    const std::uint64_t part_size = std::max<std::uint64_t>(64 << 20, ((size / 9000) + (1 << 20)) & ~std::uint64_t((1 << 20) - 1));
    const auto count = static_cast<int>((size + part_size - 1) / part_size);
    // An upload of this name started before (a controller stopped midway) is taken up.
    std::string id;
    for (const objectstore::UploadEntry& upload : client_.uploads(name))
        if (upload.key == name) id = upload.upload_id;
    std::map<int, objectstore::PartEntry> held;
    if (id.empty()) id = client_.start_upload(name);
    else
        for (const objectstore::PartEntry& part : client_.parts(name, id)) held[part.number] = part;
    std::vector<objectstore::PartEntry> parts;
    std::string digests;  // the parts' MD5s, end to end: what a multipart ETag is the MD5 of
    std::vector<std::uint8_t> buffer(static_cast<std::size_t>(std::min(part_size, size)));
    std::size_t sent = 0;
    for (int number = 1; number <= count; ++number) {
        if (stop) throw Error(ErrorKind::failed, "the controller stops; the upload of " + name + " goes on after its restart");
        const std::uint64_t offset = static_cast<std::uint64_t>(number - 1) * part_size;
        const auto length = static_cast<std::size_t>(std::min(part_size, size - offset));
        read_exact(file.get(), buffer.data(), length, offset, path);
        std::uint8_t digest[16];
        const std::string md5 = md5_of(buffer.data(), length, digest);
        digests.append(reinterpret_cast<const char*>(digest), 16);
        const auto kept = held.find(number);
        if (kept != held.end() && kept->second.size == length && kept->second.etag == "\"" + md5 + "\"") {
            parts.push_back(kept->second);
            continue;
        }
        parts.push_back({number, client_.upload_part(name, id, number, buffer.data(), length), length});
        ++sent;
    }
    client_.complete_upload(name, id, parts);
    // Checked as the store holds it: its size, and its ETag against the parts read here.
    std::uint8_t whole[16];
    const std::string expected = "\"" + md5_of(reinterpret_cast<const std::uint8_t*>(digests.data()), digests.size(), whole) + "-" + std::to_string(count) + "\"";
    for (const objectstore::ObjectEntry& object : client_.list(name))
        if (object.key == name) {
            if (object.size != size || object.etag != expected)
                throw Error(ErrorKind::failed, "the archive store holds " + name + " as " + std::to_string(object.size) + " bytes with ETag " + object.etag +
                                                   ", not the " + std::to_string(size) + " bytes and ETag " + expected + " put");
            return sent;
        }
    throw Error(ErrorKind::failed, "the archive store does not list " + name + " after its upload completed");
}

}  // namespace

void check_server_name(const std::string& name) {
    if (name.empty() || name == "." || name == ".." || name.size() > 255 || name.find('/') != std::string::npos || name.find('\0') != std::string::npos)
        throw Error(ErrorKind::usage, "a server is named without '/' or \"..\" (1 to 255 bytes): \"" + name.substr(0, 64) + "\"");
}

std::unique_ptr<ArchiveStore> make_folder_store(std::string folder) { return std::make_unique<FolderStore>(std::move(folder)); }

std::unique_ptr<ArchiveStore> make_bucket_store(const objectstore::BucketSettings& settings) { return std::make_unique<BucketStore>(settings); }

ChainAccess chain_named(ArchiveStore& store, const std::string& name, std::chrono::seconds lifetime) {
    const std::size_t slash = name.find('/');
    if (slash == std::string::npos || name.find('/', slash + 1) != std::string::npos)
        throw Error(ErrorKind::failed, "an archive of the archive store is named SERVER/FILE, not \"" + name + "\"");
    return store.chain(name.substr(0, slash), name.substr(slash + 1), lifetime);
}

}  // namespace dagda::controller
