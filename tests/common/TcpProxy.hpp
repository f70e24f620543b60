#pragma once
/// A TCP forwarder on 127.0.0.1 (port chosen by the kernel) to another loopback port, that a test
/// can cut: every connection through it is closed at once, as a dropped network link would, and
/// new ones can be held off for a while. TLS passes through it untouched. It runs on its own
/// thread and stops in its destructor.

#include <memory>
#include <string>

namespace dagda::testing {

class TcpProxy {
public:
    explicit TcpProxy(unsigned short target_port);
    TcpProxy(const TcpProxy&) = delete;
    TcpProxy& operator=(const TcpProxy&) = delete;
    ~TcpProxy();

    unsigned short port() const;
    /// Closes every connection now; while `refusing` is true, new connections are closed at once.
    void cut(bool refusing = false);
    void refuse(bool on);
    /// Connections accepted so far.
    int connections() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace dagda::testing
