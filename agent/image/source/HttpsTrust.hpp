#pragma once
/// Which certificate an HTTPS archive server must present. By default the system's CA store and
/// the host name decide; an origin given a check in an HttpsTrust is checked by that function
/// instead. The value is handed to each source that opens an archive (open_source, ArchiveChain):
/// the agent gives its jobs one holding its controller's pin or CA, so the archives the controller
/// serves are trusted exactly as the controller is, with no CA file to install; `dagda run` and the
/// `tib` commands give an empty one. Nothing about trust is kept anywhere else.

#include <boost/asio/ssl/verify_context.hpp>

#include <functional>
#include <map>
#include <string>

namespace dagda::image {

/// An OpenSSL verify callback as Asio takes it; it must not throw.
using CertificateCheck = std::function<bool(bool preverified, boost::asio::ssl::verify_context& context)>;

struct OriginTrust {
    CertificateCheck check;
    /// The CA file the chain is verified against, instead of the system's store ("" for a pin,
    /// where only `check` decides).
    std::string ca_file;
};

/// The origins ("host:port") whose HTTPS servers are checked by their own OriginTrust; every
/// other origin by the system's CAs and its host name. It also carries the pre-signed URLs a job
/// was given for its chain's files in an object store (docs/archive-store.md): a signature is
/// per object, so an incremental's base is found by its unsigned URL here, not by its name
/// beside the archive alone. A plain value: copies are independent.
class HttpsTrust {
public:
    /// Remembers `url` (a pre-signed URL) under its address without the query.
    void add_signed_url(const std::string& url) { signed_[url.substr(0, url.find('?'))] = url; }
    /// The pre-signed URL remembered whose address's last part is `segment` (escaped), or "":
    /// a base of an archive on this machine that the store holds (an upload being verified).
    std::string signed_url_ending(const std::string& segment) const {
        for (const auto& [address, url] : signed_)
            if (address.size() > segment.size() && address.compare(address.size() - segment.size() - 1, std::string::npos, "/" + segment) == 0)
                return url;
        return "";
    }
    /// The pre-signed URL remembered for `address` (a URL without query), or `address` itself.
    std::string signed_url(const std::string& address) const {
        const auto found = signed_.find(address);
        return found == signed_.end() ? address : found->second;
    }

    /// HTTPS connections to `host`:`port` are verified by `trust`; a later call for the same
    /// origin replaces the earlier one.
    void trust_origin(const std::string& host, const std::string& port, OriginTrust trust) {
        origins_[host + ":" + port] = std::move(trust);
    }

    /// The trust given for an origin, or null when the system's CAs decide.
    const OriginTrust* find(const std::string& host, const std::string& port) const {
        const auto found = origins_.find(host + ":" + port);
        return found == origins_.end() ? nullptr : &found->second;
    }

private:
    std::map<std::string, OriginTrust> origins_;
    std::map<std::string, std::string> signed_;
};

}  // namespace dagda::image
