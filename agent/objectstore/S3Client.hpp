#pragma once
/// The controller's client of an S3-compatible bucket (docs/archive-store.md): listings, ranged
/// reads, single and multipart uploads, and pre-signed GET URLs for agents. Path-style
/// addressing (https://ENDPOINT/BUCKET/KEY), which every S3-compatible store answers; requests
/// signed with SigV4 in the Authorization header, each body's SHA-256 signed too, so the store
/// itself refuses a body changed or cut on the way. Synchronous and thread-safe: each call takes an
/// idle kept-alive connection or makes one, and a call whose link drops is retried once on a
/// fresh connection.
///
/// Keys are given relative to the settings' prefix; the client adds it. The credentials are only
/// ever put into signatures: no message, log line or URL this class makes holds the secret key.

#include "core/Error.hpp"
#include "image/source/HttpConnection.hpp"
#include "objectstore/SigV4.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace dagda::objectstore {

struct BucketSettings {
    std::string endpoint;  ///< "https://host[:port]" or "http://…" (tests on loopback); no path
    /// The store as agents and helper VMs reach it, where that differs from how the controller
    /// does (a NAT; QEMU's user network, whose guests reach the host's loopback as 10.0.2.2):
    /// their pre-signed URLs are signed for this origin. "" : the endpoint.
    std::string agent_endpoint = "";
    std::string region = "us-east-1";
    std::string bucket;
    std::string prefix;   ///< "" or a folder of the bucket ending in '/'
    std::string ca_file;  ///< the CA the endpoint's certificate chains to; "" for the system's CAs
    Credentials credentials;
};

/// The store's settings from a JSON file {"endpoint", "agent_endpoint"?, "region"?, "bucket", "prefix"?, "ca_file"?,
/// "credentials": PATH}, and the keys from PATH ({"access_key", "secret_key"}), which must be a
/// file that only its owner may read. Throws Error{usage} naming what is wrong.
BucketSettings read_bucket_settings(const std::string& path);

struct ObjectEntry {
    std::string key;  ///< relative to the prefix
    std::uint64_t size = 0;
    std::string etag;
    std::string last_modified;  ///< as the store wrote it (ISO 8601)
};

struct PartEntry {
    int number = 0;
    std::string etag;
    std::uint64_t size = 0;
};

struct UploadEntry {
    std::string key;  ///< relative to the prefix
    std::string upload_id;
};

/// A refusal by the store: its HTTP status and S3 error code ("NoSuchKey", "AccessDenied").
struct StoreRefusal : Error {
    StoreRefusal(int http_status, std::string s3_code, const std::string& message)
        : Error(ErrorKind::failed, message), status(http_status), code(std::move(s3_code)) {}
    int status;
    std::string code;
};

class S3Client {
public:
    explicit S3Client(BucketSettings settings);
    ~S3Client();
    S3Client(const S3Client&) = delete;
    S3Client& operator=(const S3Client&) = delete;

    const BucketSettings& settings() const { return settings_; }

    /// Makes the bucket; one that exists and is ours is fine.
    void create_bucket();
    /// Every object under `prefix`, sorted by key, through as many pages as it takes.
    std::vector<ObjectEntry> list(const std::string& prefix);
    /// The "folders" directly under `prefix` (common prefixes at '/'), without `prefix` and '/'.
    std::vector<std::string> folders(const std::string& prefix);
    /// The object's size, or nullopt when there is none.
    std::optional<std::uint64_t> size_of(const std::string& key);
    /// `length` bytes at `offset` (all of them, or an error).
    std::vector<std::uint8_t> read(const std::string& key, std::uint64_t offset, std::size_t length);
    void put(const std::string& key, const void* bytes, std::size_t size);
    void remove(const std::string& key);

    /// Multipart upload: parts of 5 MiB to 5 GiB (the last may be smaller), numbered from 1.
    std::string start_upload(const std::string& key);
    std::string upload_part(const std::string& key, const std::string& upload_id, int number, const void* bytes, std::size_t size);
    /// The parts the store holds for an upload not yet completed (to resume it), by number.
    std::vector<PartEntry> parts(const std::string& key, const std::string& upload_id);
    void complete_upload(const std::string& key, const std::string& upload_id, const std::vector<PartEntry>& parts);
    void abort_upload(const std::string& key, const std::string& upload_id);
    /// Uploads started under `prefix` and neither completed nor aborted.
    std::vector<UploadEntry> uploads(const std::string& prefix);

    /// Who reads a pre-signed URL: this controller (the endpoint), or an agent (its agent_endpoint).
    enum class Reader { controller, agent };
    /// A GET URL for `key` that the store honours for `lifetime` from now, and for nothing else,
    /// addressed as `reader` reaches the store.
    std::string presigned_get(const std::string& key, std::chrono::seconds lifetime, Reader reader = Reader::controller) const;

private:
    struct Call;
    image::HttpResponse send(const Call& call);
    std::string object_path(const std::string& key) const;

    BucketSettings settings_;
    image::HttpUrl origin_;
    boost::asio::io_context io_;
    boost::asio::ssl::context tls_;
    std::optional<image::OriginTrust> trust_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<image::HttpConnection>> idle_;
};

}  // namespace dagda::objectstore
