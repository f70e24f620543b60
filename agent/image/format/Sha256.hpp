#pragma once
/// SHA-256 (OpenSSL EVP, which uses the CPU's SHA extensions where present): one EVP_MD_CTX per
/// object.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace dagda::image::format {

using Digest = std::array<std::uint8_t, 32>;

class Sha256 {
public:
    Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    ~Sha256();

    Sha256& update(const void* data, std::size_t size);
    Sha256& update(const std::string& text) { return update(text.data(), text.size()); }
    Sha256& update_le32(std::uint32_t value);
    Sha256& update_le64(std::uint64_t value);
    /// The digest of everything updated since construction or the last finish; starts over.
    Digest finish();

private:
    void* context_;
};

/// Lower-case hex of a digest (64 characters).
std::string to_hex(const Digest& digest);

}  // namespace dagda::image::format
