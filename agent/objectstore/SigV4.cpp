#include "objectstore/SigV4.hpp"

#include "core/Error.hpp"
#include "core/Url.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <ctime>
#include <map>

namespace dagda::objectstore {

namespace {

using Key = std::array<std::uint8_t, 32>;

std::string hex(const std::uint8_t* bytes, std::size_t size) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out.push_back(digits[bytes[i] >> 4]);
        out.push_back(digits[bytes[i] & 15]);
    }
    return out;
}

Key hmac(const void* key, std::size_t key_size, const std::string& data) {
    Key out{};
    unsigned int size = 0;
    if (!HMAC(EVP_sha256(), key, static_cast<int>(key_size), reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &size) ||
        size != out.size())
        throw Error(ErrorKind::failed, "OpenSSL could not compute an HMAC-SHA256");
    return out;
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
    return text;
}

/// A header value as signed: without leading and trailing blanks, inner runs of blanks as one space.
std::string trimmed_value(const std::string& value) {
    std::string out;
    bool blank = false;
    for (char c : value) {
        if (c == ' ' || c == '\t') {
            blank = !out.empty();
            continue;
        }
        if (blank) out.push_back(' ');
        blank = false;
        out.push_back(c);
    }
    return out;
}

/// Header names in lower case, sorted, each with its values joined by ',' in the order given.
std::map<std::string, std::string> canonical_headers(const SignableRequest& request) {
    std::map<std::string, std::string> headers;
    for (const auto& [name, value] : request.headers) {
        std::string& joined = headers[lower(name)];
        if (!joined.empty()) joined += ',';
        joined += trimmed_value(value);
    }
    return headers;
}

}  // namespace

AmzTime amz_time(std::chrono::system_clock::time_point when) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
    std::tm utc{};
    ::gmtime_r(&seconds, &utc);
    char text[17];
    std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
    return {text};
}

std::string sha256_hex(const void* bytes, std::size_t size) {
    std::uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!EVP_Digest(bytes, size, digest, &length, EVP_sha256(), nullptr)) throw Error(ErrorKind::failed, "OpenSSL could not compute a SHA-256");
    return hex(digest, length);
}

std::string canonical_uri(const std::string& path) {
    if (path.empty() || path[0] != '/') throw Error(ErrorKind::failed, "a signed request's path starts with '/': \"" + path + "\"");
    std::string out;
    for (std::size_t start = 1;;) {
        const std::size_t end = path.find('/', start);
        out += '/';
        out += url_path_escaped(path.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return out;
}

std::string canonical_query(const std::vector<std::pair<std::string, std::string>>& query) {
    std::vector<std::pair<std::string, std::string>> escaped;
    for (const auto& [key, value] : query) escaped.emplace_back(url_path_escaped(key), url_path_escaped(value));
    std::sort(escaped.begin(), escaped.end());
    std::string out;
    for (const auto& [key, value] : escaped) out += (out.empty() ? "" : "&") + key + "=" + value;
    return out;
}

std::string signed_header_names(const SignableRequest& request) {
    std::string names;
    for (const auto& [name, value] : canonical_headers(request)) names += (names.empty() ? "" : ";") + name;
    return names;
}

std::string canonical_request(const SignableRequest& request) {
    std::string headers;
    for (const auto& [name, value] : canonical_headers(request)) headers += name + ":" + value + "\n";
    return request.method + "\n" + canonical_uri(request.path) + "\n" + canonical_query(request.query) + "\n" + headers + "\n" +
           signed_header_names(request) + "\n" + request.payload_hash;
}

std::string credential_scope(const AmzTime& time, const std::string& region, const std::string& service) {
    return time.date() + "/" + region + "/" + service + "/aws4_request";
}

std::string string_to_sign(const AmzTime& time, const std::string& scope, const std::string& canonical) {
    return "AWS4-HMAC-SHA256\n" + time.stamp + "\n" + scope + "\n" + sha256_hex(canonical);
}

Key signing_key(const std::string& secret_key, const std::string& date, const std::string& region, const std::string& service) {
    const std::string first = "AWS4" + secret_key;
    Key key = hmac(first.data(), first.size(), date);
    key = hmac(key.data(), key.size(), region);
    key = hmac(key.data(), key.size(), service);
    return hmac(key.data(), key.size(), "aws4_request");
}

std::string signature(const Key& key, const std::string& to_sign) {
    const Key mac = hmac(key.data(), key.size(), to_sign);
    return hex(mac.data(), mac.size());
}

std::string authorization(const SignableRequest& request, const Credentials& credentials, const AmzTime& time, const std::string& region,
                          const std::string& service) {
    const std::string scope = credential_scope(time, region, service);
    const std::string to_sign = string_to_sign(time, scope, canonical_request(request));
    return "AWS4-HMAC-SHA256 Credential=" + credentials.access_key + "/" + scope + ", SignedHeaders=" + signed_header_names(request) +
           ", Signature=" + signature(signing_key(credentials.secret_key, time.date(), region, service), to_sign);
}

std::string presigned_url(const std::string& origin, SignableRequest request, const Credentials& credentials, const AmzTime& time,
                          std::chrono::seconds expires, const std::string& region, const std::string& service) {
    if (expires.count() < 1 || expires.count() > 7 * 24 * 3600)
        throw Error(ErrorKind::failed, "a pre-signed URL lasts 1 second to 7 days, not " + std::to_string(expires.count()) + " s");
    const std::string scope = credential_scope(time, region, service);
    request.payload_hash = "UNSIGNED-PAYLOAD";
    request.query.emplace_back("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
    request.query.emplace_back("X-Amz-Credential", credentials.access_key + "/" + scope);
    request.query.emplace_back("X-Amz-Date", time.stamp);
    request.query.emplace_back("X-Amz-Expires", std::to_string(expires.count()));
    request.query.emplace_back("X-Amz-SignedHeaders", signed_header_names(request));
    const std::string to_sign = string_to_sign(time, scope, canonical_request(request));
    return origin + canonical_uri(request.path) + "?" + canonical_query(request.query) +
           "&X-Amz-Signature=" + signature(signing_key(credentials.secret_key, time.date(), region, service), to_sign);
}

}  // namespace dagda::objectstore
