#pragma once
/// An owned file descriptor, plus whole-buffer positional I/O that either completes or throws.

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace dagda {

class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) noexcept : fd_(fd) {}
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept;
    ~UniqueFd();

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    /// Hands the descriptor over (to an Asio stream, which closes it); this object owns none after.
    int release() noexcept { return std::exchange(fd_, -1); }

    /// Opens `path` with `flags`; throws Error{failed} naming the path on failure.
    static UniqueFd open(const std::string& path, int flags);

private:
    int fd_ = -1;
};

/// Reads exactly `size` bytes at `offset`; throws naming `what` on error or short read.
void read_exact(int fd, void* buffer, std::size_t size, std::uint64_t offset, const std::string& what);

/// Writes exactly `size` bytes at `offset`; throws naming `what` on error or short write.
void write_exact(int fd, const void* buffer, std::size_t size, std::uint64_t offset, const std::string& what);

}  // namespace dagda
