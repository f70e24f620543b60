#include "protocol/Proof.hpp"

#include "core/Bytes.hpp"
#include "core/Error.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>

namespace dagda::protocol {

std::string token_proof(const std::string& token, const std::string& nonce) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int length = 0;
    if (!HMAC(EVP_sha256(), token.data(), static_cast<int>(token.size()), reinterpret_cast<const unsigned char*>(nonce.data()), nonce.size(),
              mac.data(), &length) ||
        length != 32)
        throw Error(ErrorKind::failed, "HMAC-SHA256 failed");
    return to_hex(mac.data(), length);
}

std::string random_nonce() {
    std::array<unsigned char, 32> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) throw Error(ErrorKind::failed, "no random bytes for a nonce");
    return to_hex(bytes.data(), bytes.size());
}

bool same_proof(const std::string& a, const std::string& b) { return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0; }

}  // namespace dagda::protocol
