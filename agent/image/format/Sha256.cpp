#include "image/format/Sha256.hpp"

#include "core/Bytes.hpp"
#include "core/Error.hpp"

#include <openssl/evp.h>

namespace dagda::image::format {

namespace {

EVP_MD_CTX* ctx(void* handle) { return static_cast<EVP_MD_CTX*>(handle); }

void start(EVP_MD_CTX* context) {
    if (EVP_DigestInit_ex(context, EVP_sha256(), nullptr) != 1) throw Error(ErrorKind::failed, "OpenSSL: SHA-256 init failed");
}

}  // namespace

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
    if (!context_) throw Error(ErrorKind::failed, "OpenSSL: out of memory for a SHA-256 context");
    start(ctx(context_));
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx(context_)); }

Sha256& Sha256::update(const void* data, std::size_t size) {
    if (EVP_DigestUpdate(ctx(context_), data, size) != 1) throw Error(ErrorKind::failed, "OpenSSL: SHA-256 update failed");
    return *this;
}

Sha256& Sha256::update_le32(std::uint32_t value) {
    std::uint8_t bytes[4];
    store_le(bytes, value);
    return update(bytes, sizeof bytes);
}

Sha256& Sha256::update_le64(std::uint64_t value) {
    std::uint8_t bytes[8];
    store_le(bytes, value);
    return update(bytes, sizeof bytes);
}

Digest Sha256::finish() {
    Digest digest{};
    unsigned length = 0;
    if (EVP_DigestFinal_ex(ctx(context_), digest.data(), &length) != 1 || length != digest.size())
        throw Error(ErrorKind::failed, "OpenSSL: SHA-256 final failed");
    start(ctx(context_));
    return digest;
}

std::string to_hex(const Digest& digest) { return dagda::to_hex(digest.data(), digest.size()); }

}  // namespace dagda::image::format
