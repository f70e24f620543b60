#pragma once
/// AWS Signature Version 4 for S3 (docs/archive-store.md, "Signing"): the Authorization header of
/// the controller's own calls to the store, and the query-string form of the pre-signed GET URLs it
/// hands to agents. Written from AWS's specification rather than taken from a library: Debian 12
/// carries no maintained S3 SDK for C++ (libs3 2.0 signs with version 2 only), and the algorithm is
/// small and fully specified; tests/unit/objectstore checks it against AWS's published vectors.
///
/// S3's dialect is the one implemented: the path is encoded once and never normalized ("." and ".."
/// segments are signed as written), and a query key without a value is signed as "key=".

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dagda::objectstore {

struct Credentials {
    std::string access_key;
    std::string secret_key;
};

/// The request as signed: its method, its path and query before encoding, its header fields
/// (Host among them) and its payload's SHA-256 in hex, or "UNSIGNED-PAYLOAD".
struct SignableRequest {
    std::string method = "GET";
    std::string path = "/";
    std::vector<std::pair<std::string, std::string>> query;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string payload_hash;
};

/// The signing moment in the two forms SigV4 uses: "20130524T000000Z" and "20130524".
struct AmzTime {
    std::string stamp;
    std::string date() const { return stamp.substr(0, 8); }
};
AmzTime amz_time(std::chrono::system_clock::time_point when);

/// Lower-case hex SHA-256 of `bytes`: a payload's hash, or the empty payload's.
std::string sha256_hex(const void* bytes, std::size_t size);
inline std::string sha256_hex(const std::string& text) { return sha256_hex(text.data(), text.size()); }

/// Each segment of `path` escaped (unreserved characters kept, '/' between segments kept).
std::string canonical_uri(const std::string& path);
/// The query sorted by escaped key then value, each escaped, joined with '&' (no leading '?').
std::string canonical_query(const std::vector<std::pair<std::string, std::string>>& query);

/// The steps of the algorithm, each exposed because AWS's vectors publish each one.
std::string canonical_request(const SignableRequest& request);
std::string signed_header_names(const SignableRequest& request);
std::string credential_scope(const AmzTime& time, const std::string& region, const std::string& service);
std::string string_to_sign(const AmzTime& time, const std::string& scope, const std::string& canonical);
std::array<std::uint8_t, 32> signing_key(const std::string& secret_key, const std::string& date, const std::string& region,
                                         const std::string& service);
std::string signature(const std::array<std::uint8_t, 32>& key, const std::string& to_sign);

/// The Authorization header's value for `request`, which must already carry the x-amz-date field
/// (and x-amz-content-sha256 where the store wants it) with `time`.
std::string authorization(const SignableRequest& request, const Credentials& credentials, const AmzTime& time,
                          const std::string& region, const std::string& service = "s3");

/// A pre-signed URL: `origin` ("https://host[:port]", no trailing '/') followed by `request`'s path
/// and query with the X-Amz-* parameters and the signature appended, valid for `expires`
/// seconds from `time` (1 s to 7 days, as S3 accepts). Only the host header is signed, so any
/// client that can send a GET (a range reader, curl) can use it.
std::string presigned_url(const std::string& origin, SignableRequest request, const Credentials& credentials, const AmzTime& time,
                          std::chrono::seconds expires, const std::string& region, const std::string& service = "s3");

}  // namespace dagda::objectstore
