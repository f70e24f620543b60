#pragma once
/// Test helpers: a temporary folder removed at the end of the test, and image files inside it.

#include <cstdint>
#include <filesystem>
#include <string>

namespace dagda::testing {

class TempDir {
public:
    TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();

    const std::filesystem::path& path() const noexcept { return path_; }
    /// Path of `name` inside the folder.
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

/// Writes `content` to `path`, creating the folders above it (for fake sysfs/procfs trees).
void write_file(const std::filesystem::path& path, const std::string& content);

/// Creates a sparse file of `bytes` bytes (all zero) and returns its path.
std::string make_image(const TempDir& dir, const std::string& name, std::uint64_t bytes);

/// `size` pseudo-random bytes, the same for the same `seed` (data no compressor shrinks).
std::string random_bytes(std::size_t size, unsigned seed);

/// The whole content of a file; only for small files (a failed CHECK prints it).
std::string file_bytes(const std::string& path);

/// SHA-256 of a file as hex (sha256sum), for "the target did not change" checks on disk images.
std::string file_digest(const std::string& path);

/// `length` bytes of a file from `offset`.
std::string file_range(const std::string& path, std::uint64_t offset, std::size_t length);

/// Path of a file in fixtures/ of $DAGDA_SHARED_DIR (else ../shared beside the repository),
/// decompressed into `dir` when it ends in .xz. Throws (the test fails) when it is missing.
std::string shared_fixture(const TempDir& dir, const std::string& relative);

}  // namespace dagda::testing
