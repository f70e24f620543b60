#pragma once
/// Where a TIB archive's bytes go as TibWriter streams them, front to back, never seeking: a
/// local file, or the controller's upload URL (docs/api.md, "Uploads"). Either way the archive
/// gets its name only once complete: a sink dropped before commit() leaves nothing that looks
/// like an archive.

#include "image/source/HttpsTrust.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace dagda::image {

class ArchiveSink {
public:
    virtual ~ArchiveSink() = default;
    /// The next `size` bytes of the archive.
    virtual void append(const void* data, std::size_t size) = 0;
    /// Every byte is there (`size` in all, ending in a trailer whose generation digest is
    /// `digest_hex`): made durable, checked where the sink can, and given the archive's name.
    virtual void commit(std::uint64_t size, const std::string& digest_hex) = 0;
    /// The name used in messages (the path or URL the archive will have).
    virtual const std::string& name() const = 0;
};

/// `path`.partial, created (replacing an older one), renamed to `path` on
/// commit; unlinked when dropped before.
std::unique_ptr<ArchiveSink> open_file_sink(const std::string& path);

struct UploadOptions {
    /// How long the link may stay down (no piece accepted) before the upload is given up.
    unsigned patience_seconds = 120;
    /// Called while the sink waits (a retry's pause, the controller's verification); it throws
    /// to stop the upload (a cancelled job).
    std::function<void()> check_cancel;
};

/// An upload to the controller at `url` (https://HOST:PORT/uploads/KEY/SERVER/FILE), sent in
/// pieces over one kept-alive connection and taken up again where the controller's copy ends
/// when the link drops (capped, jittered retries); commit() asks the controller to verify and
/// commit it and waits for the outcome. An https URL is verified as `trust` says for its origin.
/// Throws Error{refused} when the controller holds that archive already.
std::unique_ptr<ArchiveSink> open_upload_sink(const std::string& url, const HttpsTrust& trust, const UploadOptions& options = {});

/// open_upload_sink for an http(s) URL, open_file_sink for a path.
std::unique_ptr<ArchiveSink> open_sink(const std::string& location, const HttpsTrust& trust, const UploadOptions& options = {});

}  // namespace dagda::image
