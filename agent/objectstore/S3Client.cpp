#include "objectstore/S3Client.hpp"

#include "core/Url.hpp"
#include "objectstore/S3Xml.hpp"

#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace dagda::objectstore {

namespace http = boost::beast::http;
using nlohmann::json;

namespace {

constexpr std::uint64_t listing_limit = 16 << 20;  // one page of 1,000 keys is ~300 KiB
constexpr std::size_t most_keys_listed = 1'000'000;

std::string read_text(const std::string& path, const std::string& what) {
    std::ifstream in(path);
    if (!in) throw Error(ErrorKind::usage, "cannot read " + what + " " + path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string required(const json& doc, const char* key, const std::string& where) {
    if (!doc.contains(key) || !doc[key].is_string() || doc[key].get<std::string>().empty())
        throw Error(ErrorKind::usage, where + ": \"" + key + "\" is missing or not a string");
    return doc[key];
}

std::string optional_text(const json& doc, const char* key, const std::string& where, std::string fallback) {
    if (!doc.contains(key)) return fallback;
    if (!doc[key].is_string()) throw Error(ErrorKind::usage, where + ": \"" + key + "\" is not a string");
    return doc[key];
}

bool ok_status(unsigned status) { return status >= 200 && status < 300; }

std::string body_text(const image::HttpResponse& response) { return std::string(response.body().begin(), response.body().end()); }

}  // namespace

BucketSettings read_bucket_settings(const std::string& path) {
    const json doc = json::parse(read_text(path, "the archive store's settings"), nullptr, false);
    if (!doc.is_object()) throw Error(ErrorKind::usage, path + " is not a JSON object");
    for (const auto& [key, value] : doc.items())
        if (key != "endpoint" && key != "agent_endpoint" && key != "region" && key != "bucket" && key != "prefix" && key != "ca_file" &&
            key != "credentials")
            throw Error(ErrorKind::usage,
                        path + ": unknown setting \"" + key + "\" (endpoint, agent_endpoint, region, bucket, prefix, ca_file, credentials)");
    BucketSettings out;
    const auto origin = [&](std::string text, const char* key) {
        while (!text.empty() && text.back() == '/') text.pop_back();
        const image::HttpUrl url = image::parse_http_url(text);
        if (url.target != "/") throw Error(ErrorKind::usage, path + ": \"" + key + "\" is the store's origin (scheme, host, port), without a path");
        return text;
    };
    out.endpoint = origin(required(doc, "endpoint", path), "endpoint");
    if (doc.contains("agent_endpoint")) out.agent_endpoint = origin(required(doc, "agent_endpoint", path), "agent_endpoint");
    out.region = optional_text(doc, "region", path, "us-east-1");
    out.bucket = required(doc, "bucket", path);
    // S3's rule for bucket names (path-style addressing puts them in the path).
    if (out.bucket.size() < 3 || out.bucket.size() > 63 || out.bucket.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") != std::string::npos)
        throw Error(ErrorKind::usage, path + ": \"bucket\" is 3 to 63 lower-case letters, digits, '.' and '-'");
    out.prefix = optional_text(doc, "prefix", path, "");
    if (!out.prefix.empty() && (out.prefix.front() == '/' || out.prefix.back() != '/'))
        throw Error(ErrorKind::usage, path + ": \"prefix\" is a folder of the bucket like \"dagda/\" (no leading '/', a trailing one)");
    out.ca_file = optional_text(doc, "ca_file", path, "");
    const std::string keys_path = required(doc, "credentials", path);
    struct stat info {};
    if (::stat(keys_path.c_str(), &info) != 0) throw Error(ErrorKind::usage, "cannot read the archive store's credentials " + keys_path);
    // The keys open every backup in the bucket: a file others may read is refused, not used.
    if ((info.st_mode & 077) != 0)
        throw Error(ErrorKind::usage, keys_path + " may be read by others (mode " + std::to_string(info.st_mode & 0777) +
                                          " in decimal); the archive store's credentials must be readable by their owner only (chmod 600)");
    const json keys = json::parse(read_text(keys_path, "the archive store's credentials"), nullptr, false);
    if (!keys.is_object()) throw Error(ErrorKind::usage, keys_path + " is not a JSON object {\"access_key\", \"secret_key\"}");
    out.credentials.access_key = required(keys, "access_key", keys_path);
    out.credentials.secret_key = required(keys, "secret_key", keys_path);
    return out;
}

struct S3Client::Call {
    http::verb verb = http::verb::get;
    std::string path;  ///< unescaped, from '/': "/BUCKET/KEY"
    std::vector<std::pair<std::string, std::string>> query;
    std::vector<std::pair<std::string, std::string>> fields;
    const void* body = nullptr;
    std::size_t body_size = 0;
    std::uint64_t body_limit = listing_limit;
    std::string what;  ///< "GET srv01/g1.tib", for messages
};

S3Client::S3Client(BucketSettings settings)
    : settings_(std::move(settings)), origin_(image::parse_http_url(settings_.endpoint)), tls_(boost::asio::ssl::context::tls_client) {
    image::HttpsTrust trust;
    if (!settings_.ca_file.empty())
        trust.trust_origin(origin_.host, origin_.port,
                           {boost::asio::ssl::host_name_verification(origin_.host), settings_.ca_file});
    image::configure_client_tls(tls_, origin_, trust, trust_);
}

S3Client::~S3Client() = default;

std::string S3Client::object_path(const std::string& key) const { return "/" + settings_.bucket + "/" + settings_.prefix + key; }

image::HttpResponse S3Client::send(const Call& call) {
    std::string payload_hash = sha256_hex(call.body ? call.body : "", call.body_size);
    for (int attempt = 0;; ++attempt) {
        // Signed afresh on each attempt: the store refuses a signature more than 15 minutes old.
        const AmzTime time = amz_time(std::chrono::system_clock::now());
        SignableRequest signable{std::string(http::to_string(call.verb)), call.path, call.query,
                                 {{"host", image::host_field(origin_)}, {"x-amz-date", time.stamp}, {"x-amz-content-sha256", payload_hash}}, payload_hash};
        for (const auto& field : call.fields) signable.headers.push_back(field);
        image::HttpRequest request;
        request.verb = call.verb;
        request.target = canonical_uri(call.path) + (call.query.empty() ? "" : "?" + canonical_query(call.query));
        request.fields = signable.headers;
        request.fields.emplace_back("Authorization", authorization(signable, settings_.credentials, time, settings_.region));
        request.body = static_cast<const std::uint8_t*>(call.body);
        request.body_size = call.body_size;
        std::unique_ptr<image::HttpConnection> connection;
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            if (!idle_.empty()) {
                connection = std::move(idle_.back());
                idle_.pop_back();
            }
        }
        try {
            if (!connection) connection = std::make_unique<image::HttpConnection>(io_, tls_, origin_, trust_ ? &*trust_ : nullptr);
            image::HttpResponse response = connection->send(request, call.body_limit);
            if (response.keep_alive()) {
                const std::lock_guard<std::mutex> lock(mutex_);
                idle_.push_back(std::move(connection));
            }
            if (ok_status(response.result_int())) return response;
            std::string code = "unknown", message;
            if (!response.body().empty() && call.verb != http::verb::head) {
                try {
                    const S3Xml error(body_text(response), call.what);
                    code = S3Xml::text(error.root(), "Code");
                    message = S3Xml::text(error.root(), "Message");
                } catch (const Error&) {
                }
            }
            throw StoreRefusal(response.result_int(), code,
                               "the archive store refused " + call.what + ": " + std::to_string(response.result_int()) + " " + code +
                                   (message.empty() ? "" : " (" + message + ")"));
        } catch (const image::ConnectFailure& e) {
            throw Error(ErrorKind::failed, "the archive store " + settings_.endpoint + " cannot be reached: " + e.what());
        } catch (const boost::system::system_error& e) {
            // A kept-alive connection the store had closed, or a link that dropped: once more, anew.
            if (attempt >= 1) throw Error(ErrorKind::failed, "the archive store stopped answering " + call.what + " (" + e.code().message() + ")");
        }
    }
}

void S3Client::create_bucket() {
    try {
        send({http::verb::put, "/" + settings_.bucket, {}, {}, nullptr, 0, listing_limit, "to make the bucket " + settings_.bucket});
    } catch (const StoreRefusal& e) {
        if (e.code != "BucketAlreadyOwnedByYou") throw;
    }
}

std::vector<ObjectEntry> S3Client::list(const std::string& prefix) {
    std::vector<ObjectEntry> out;
    std::string token;
    do {
        Call call{http::verb::get, "/" + settings_.bucket, {{"list-type", "2"}, {"prefix", settings_.prefix + prefix}}, {}, nullptr, 0, listing_limit,
                  "the listing of " + settings_.prefix + prefix};
        if (!token.empty()) call.query.emplace_back("continuation-token", token);
        const S3Xml page(body_text(send(call)), call.what);
        for (S3Xml::Node item : S3Xml::children(page.root(), "Contents")) {
            ObjectEntry entry;
            entry.key = S3Xml::text(item, "Key").substr(settings_.prefix.size());
            entry.size = std::stoull("0" + S3Xml::text(item, "Size"));
            entry.etag = S3Xml::text(item, "ETag");
            entry.last_modified = S3Xml::text(item, "LastModified");
            out.push_back(std::move(entry));
        }
        token = S3Xml::text(page.root(), "IsTruncated") == "true" ? S3Xml::text(page.root(), "NextContinuationToken") : "";
        if (out.size() > most_keys_listed) throw Error(ErrorKind::failed, call.what + " holds more than a million objects");
    } while (!token.empty());
    return out;
}

std::vector<std::string> S3Client::folders(const std::string& prefix) {
    std::vector<std::string> out;
    std::string token;
    const std::string full = settings_.prefix + prefix;
    do {
        Call call{http::verb::get, "/" + settings_.bucket, {{"list-type", "2"}, {"prefix", full}, {"delimiter", "/"}}, {}, nullptr, 0, listing_limit,
                  "the listing of " + full};
        if (!token.empty()) call.query.emplace_back("continuation-token", token);
        const S3Xml page(body_text(send(call)), call.what);
        for (S3Xml::Node item : S3Xml::children(page.root(), "CommonPrefixes")) {
            std::string name = S3Xml::text(item, "Prefix").substr(full.size());
            if (!name.empty() && name.back() == '/') name.pop_back();
            if (!name.empty()) out.push_back(name);
        }
        token = S3Xml::text(page.root(), "IsTruncated") == "true" ? S3Xml::text(page.root(), "NextContinuationToken") : "";
    } while (!token.empty());
    return out;
}

std::optional<std::uint64_t> S3Client::size_of(const std::string& key) {
    try {
        const auto response = send({http::verb::head, object_path(key), {}, {}, nullptr, 0, 0, "HEAD " + key});
        return std::stoull(std::string(response[http::field::content_length]));
    } catch (const StoreRefusal& e) {
        if (e.status == 404) return std::nullopt;
        throw;
    }
}

std::vector<std::uint8_t> S3Client::read(const std::string& key, std::uint64_t offset, std::size_t length) {
    if (length == 0) return {};
    const std::string range = "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1);
    auto response = send({http::verb::get, object_path(key), {}, {{"range", range}}, nullptr, 0, length + (64 << 10), "GET " + key + " " + range});  // room for an error document
    if (response.body().size() != length)
        throw Error(ErrorKind::failed, "the archive store sent " + std::to_string(response.body().size()) + " bytes of " + key + " for " + range);
    return std::move(response.body());
}

void S3Client::put(const std::string& key, const void* bytes, std::size_t size) {
    send({http::verb::put, object_path(key), {}, {}, bytes, size, listing_limit, "PUT " + key});
}

void S3Client::remove(const std::string& key) { send({http::verb::delete_, object_path(key), {}, {}, nullptr, 0, listing_limit, "DELETE " + key}); }

std::string S3Client::start_upload(const std::string& key) {
    Call call{http::verb::post, object_path(key), {{"uploads", ""}}, {}, nullptr, 0, listing_limit, "the start of an upload of " + key};
    const S3Xml answer(body_text(send(call)), call.what);
    const std::string id = S3Xml::text(answer.root(), "UploadId");
    if (id.empty()) throw Error(ErrorKind::failed, call.what + ": the store gave no upload id");
    return id;
}

std::string S3Client::upload_part(const std::string& key, const std::string& upload_id, int number, const void* bytes, std::size_t size) {
    const auto response = send({http::verb::put, object_path(key), {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}}, {}, bytes, size,
                                listing_limit, "part " + std::to_string(number) + " of " + key});
    const std::string etag(response[http::field::etag]);
    if (etag.empty()) throw Error(ErrorKind::failed, "the archive store gave no ETag for part " + std::to_string(number) + " of " + key);
    return etag;
}

std::vector<PartEntry> S3Client::parts(const std::string& key, const std::string& upload_id) {
    std::vector<PartEntry> out;
    std::string marker;
    for (;;) {
        Call call{http::verb::get, object_path(key), {{"uploadId", upload_id}}, {}, nullptr, 0, listing_limit, "the parts of the upload of " + key};
        if (!marker.empty()) call.query.emplace_back("part-number-marker", marker);
        const S3Xml page(body_text(send(call)), call.what);
        for (S3Xml::Node item : S3Xml::children(page.root(), "Part"))
            out.push_back({std::stoi("0" + S3Xml::text(item, "PartNumber")), S3Xml::text(item, "ETag"), std::stoull("0" + S3Xml::text(item, "Size"))});
        if (S3Xml::text(page.root(), "IsTruncated") != "true") break;
        marker = S3Xml::text(page.root(), "NextPartNumberMarker");
        if (marker.empty()) break;
    }
    return out;
}

void S3Client::complete_upload(const std::string& key, const std::string& upload_id, const std::vector<PartEntry>& parts) {
    std::string body = "<CompleteMultipartUpload>";
    for (const PartEntry& part : parts)
        body += "<Part><PartNumber>" + std::to_string(part.number) + "</PartNumber><ETag>" + part.etag + "</ETag></Part>";
    body += "</CompleteMultipartUpload>";
    Call call{http::verb::post, object_path(key), {{"uploadId", upload_id}}, {}, body.data(), body.size(), listing_limit, "the completion of the upload of " + key};
    // S3 may answer 200 with an error document once the parts are assembled: read what it said.
    const S3Xml answer(body_text(send(call)), call.what);
    if (S3Xml::name(answer.root()) == "Error")
        throw StoreRefusal(200, S3Xml::text(answer.root(), "Code"), "the archive store refused " + call.what + ": " + S3Xml::text(answer.root(), "Code"));
}

void S3Client::abort_upload(const std::string& key, const std::string& upload_id) {
    send({http::verb::delete_, object_path(key), {{"uploadId", upload_id}}, {}, nullptr, 0, listing_limit, "the abort of the upload of " + key});
}

std::vector<UploadEntry> S3Client::uploads(const std::string& prefix) {
    Call call{http::verb::get, "/" + settings_.bucket, {{"uploads", ""}, {"prefix", settings_.prefix + prefix}}, {}, nullptr, 0, listing_limit,
              "the uploads under " + settings_.prefix + prefix};
    const S3Xml page(body_text(send(call)), call.what);
    std::vector<UploadEntry> out;
    for (S3Xml::Node item : S3Xml::children(page.root(), "Upload"))
        out.push_back({S3Xml::text(item, "Key").substr(settings_.prefix.size()), S3Xml::text(item, "UploadId")});
    return out;
}

std::string S3Client::presigned_get(const std::string& key, std::chrono::seconds lifetime, Reader reader) const {
    // SigV4 signs the Host header: a URL for agents names the store as they reach it.
    const image::HttpUrl signed_for =
        reader == Reader::agent && !settings_.agent_endpoint.empty() ? image::parse_http_url(settings_.agent_endpoint) : origin_;
    const std::string origin = std::string(signed_for.tls ? "https://" : "http://") + image::host_field(signed_for);
    const SignableRequest request{"GET", object_path(key), {}, {{"host", image::host_field(signed_for)}}, ""};
    return presigned_url(origin, request, settings_.credentials, amz_time(std::chrono::system_clock::now()), lifetime, settings_.region);
}

}  // namespace dagda::objectstore
