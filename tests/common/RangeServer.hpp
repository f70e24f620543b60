#pragma once
/// A real HTTP/1.1 server on 127.0.0.1 (port chosen by the kernel) that serves the files of one
/// folder with HEAD and single-range GET, like nginx does for archives. Faults can be switched on
/// to test a client against a server that drops the connection mid-body or ignores ranges.
/// It runs on its own threads and stops in its destructor.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace dagda::testing {

class RangeServer {
public:
    explicit RangeServer(std::filesystem::path folder);
    /// The same over TLS with this certificate and key (PEM files): url() says https.
    RangeServer(std::filesystem::path folder, const std::string& certificate, const std::string& key);
    RangeServer(const RangeServer&) = delete;
    RangeServer& operator=(const RangeServer&) = delete;
    ~RangeServer();

    /// "http://127.0.0.1:PORT/" + name (https:// over TLS).
    std::string url(const std::string& name) const;

    /// The next `count` GET responses send only half their body, then close the connection.
    void drop_next(int count) { drops_ = count; }
    /// Every GET answers 200 with the whole file, as a server without range support does.
    void ignore_ranges(bool on) { ignore_ranges_ = on; }
    /// After `count` more GET requests, every GET is answered 503 (a server going down); -1: never.
    void fail_after(int count) { fail_after_ = count; }
    /// Every GET waits this long before it is answered (a slow link); 0: no wait.
    void delay(std::chrono::milliseconds wait) { delay_ms_ = static_cast<int>(wait.count()); }
    /// Every request without a query (a pre-signed URL's signature) is answered 403, as an
    /// object store answers one that is not signed; the query itself is not checked.
    void require_query(bool on) { require_query_ = on; }
    /// Number of GET requests served so far.
    int requests() const { return requests_; }

private:
    void start();
    template <typename Stream>
    void serve(Stream& stream);

    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::atomic<int> drops_{0};
    std::atomic<bool> ignore_ranges_{false};
    std::atomic<int> requests_{0};
    std::atomic<int> fail_after_{-1};
    std::atomic<int> delay_ms_{0};
    std::atomic<bool> require_query_{false};
};

}  // namespace dagda::testing
