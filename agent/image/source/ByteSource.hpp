#pragma once
/// Where an archive's bytes come from: a local file now, an HTTP server with range requests later.
/// Readers only ever ask for ranges, so both work the same way.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace dagda::image {

class HttpsTrust;  // HttpsTrust.hpp

class ByteSource {
public:
    virtual ~ByteSource() = default;
    /// Total size in bytes.
    virtual std::uint64_t size() const = 0;
    /// Reads exactly `length` bytes at `offset`; throws Error{failed} naming the source and the
    /// offset when they are not there (a short file, a dropped connection).
    virtual void read_at(std::uint64_t offset, void* buffer, std::size_t length) = 0;
    /// The name used in messages (path or URL).
    virtual const std::string& name() const = 0;
};

/// Bytes already in memory (a fuzzer's input, a test's archive); the buffer must outlive the source.
std::unique_ptr<ByteSource> open_memory_source(const std::uint8_t* data, std::size_t size, std::string name);

/// A local file or block device.
std::unique_ptr<ByteSource> open_file_source(const std::string& path);

/// An archive on a web server (nginx, an S3-compatible store, the controller), read with HTTP
/// range requests over a few kept-alive connections; https verifies the server's certificate
/// against the system's CAs, or with the check `trust` gives for its origin (HttpsTrust.hpp).
/// Throws Error{failed} when the server does not answer or does not support ranges.
std::unique_ptr<ByteSource> open_http_source(const std::string& url, const HttpsTrust& trust);

/// True for "http://…" and "https://…".
bool is_url(const std::string& location);

/// open_http_source for a URL, open_file_source otherwise.
std::unique_ptr<ByteSource> open_source(const std::string& location, const HttpsTrust& trust);
/// The same with no origin trusted by its own check: https by the system's CAs only.
std::unique_ptr<ByteSource> open_source(const std::string& location);

}  // namespace dagda::image
