#pragma once
/// Where the controller keeps the servers' archives (docs/archive-store.md): its archive folder
/// (the default) or an S3-compatible bucket. Servers, chains and generations are listed alike
/// from either. What differs is how a generation is read: from the folder, by this controller
/// (its own programs open the path; an agent gets a /files/GRANT/ URL the controller serves);
/// from a bucket, straight from the store, through pre-signed GET URLs for exactly the objects of
/// the generation's chain, so the controller is not in the data path.
///
/// A bucket holds SERVER/FILE.tib objects under its prefix, as the folder holds SERVER/FILE.tib
/// files. Thread-safe: the API, the console's work threads and the recovery runner all ask.

#include "objectstore/S3Client.hpp"
#include "recovery/ServerArchives.hpp"

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace dagda::controller {

/// A generation and its chain, as a job or this controller's own program reads them.
struct ChainAccess {
    std::string location;           ///< the generation, as this controller reads it: a path in the folder, or a pre-signed URL
    image::HttpsTrust access;       ///< a bucket's pre-signed URLs of the chain's files, by address
    std::vector<std::string> urls;  ///< those URLs, as this controller's own programs take them (none from a folder)
    std::vector<std::string> files; ///< SERVER/FILE of each file of the chain, newest first
    /// The generation and its chain's URLs as an agent reads them, for a plan's reference and its
    /// "archive_urls": signed for the store's agent_endpoint where it has one (the same as above
    /// otherwise; a folder's agents get URLs of the controller's own instead, which it grants).
    std::string agent_location;
    std::vector<std::string> agent_urls;
};

class ArchiveStore {
public:
    virtual ~ArchiveStore() = default;
    /// "folder" or "bucket".
    virtual const char* kind() const = 0;
    /// Every server that has archives, sorted by name.
    virtual std::vector<recovery::ServerSummary> servers() = 0;
    /// One server. Throws Error{usage} for a name that is not a plain name, Error{failed} when
    /// there is no such server.
    virtual recovery::ServerSummary server(const std::string& name) = 0;
    /// One server, or nullopt when the store holds no archive of it; a store that cannot be read
    /// throws, so it is never taken for a server without backups.
    virtual std::optional<recovery::ServerSummary> find_server(const std::string& name) = 0;
    /// Generation `file` of `server` and the files of its chain, readable for `lifetime` (a
    /// bucket's URLs expire then; a folder's paths do not). Throws Error{failed} when the server
    /// has no such generation or its chain is broken.
    virtual ChainAccess chain(const std::string& server, const std::string& file, std::chrono::seconds lifetime) = 0;

    /// Where this controller's own programs (`dagda tib info`) read SERVER/FILE: its path, or a
    /// pre-signed URL good for 15 minutes.
    virtual std::string read_location(const std::string& name) = 0;
    /// The size of SERVER/FILE in the store, or nullopt when it holds none.
    virtual std::optional<std::uint64_t> size_in(const std::string& name) = 0;
    /// Puts the verified archive at `path` into the store as SERVER/FILE and returns how many
    /// parts it sent (docs/archive-store.md, "Writing"). A bucket: a multipart upload of it,
    /// resumed where an earlier attempt left it (parts the store holds with the same MD5 are
    /// kept), completed only when every part is there, then checked: the object's size and its
    /// multipart ETag against the parts read here. Throws Error, leaving the upload to resume.
    /// The folder never needs it: an upload is renamed into place there.
    virtual std::size_t put_file(const std::string& name, const std::string& path, const std::atomic<bool>& stop) = 0;
};

/// `store`'s chain of SERVER/FILE (a recovery order's "archive" from a bucket). Throws Error{failed}
/// for a name that is not SERVER/FILE, and as ArchiveStore::chain does.
ChainAccess chain_named(ArchiveStore& store, const std::string& name, std::chrono::seconds lifetime);

/// The archive folder: SERVER/FILE.tib files under `folder`.
std::unique_ptr<ArchiveStore> make_folder_store(std::string folder);

/// An S3-compatible bucket. The bucket is made when it does not exist yet.
std::unique_ptr<ArchiveStore> make_bucket_store(const objectstore::BucketSettings& settings);

/// Throws Error{usage} unless `name` is a plain server name: not empty, not "." or "..", no '/'
/// or NUL, at most 255 bytes.
void check_server_name(const std::string& name);

}  // namespace dagda::controller
