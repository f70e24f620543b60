#pragma once
/// The controller's boot port: plain HTTP, because the iPXE that Debian ships (and most NIC ROMs
/// carry) speaks no HTTPS. It serves only GET and HEAD of the live image's kernel and initramfs
/// and of the iPXE scripts (BootScripts.hpp); the API, the archives and the agents stay on the
/// TLS port. Nothing a machine gets here is trusted on its own: the agent it boots trusts the
/// controller by the pin in its script, and the controller admits that agent by its token.
/// It shares the controller's I/O thread, and so its Store.

#include "controller/AcceptLoop.hpp"
#include "controller/BootScripts.hpp"
#include "controller/FileRanges.hpp"
#include "controller/Store.hpp"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <string>

namespace dagda::controller {

class BootServer {
public:
    /// Binds `address`:`port` (0: any free port). `files_dir` holds vmlinuz and initrd.img (the
    /// live image's pxe/ folder); `scripts.boot_url` may be "" until port() is known.
    /// At most `most` connections are served at once (AcceptLoop.hpp). `console_for_unknown`: a
    /// card no enrolment names boots the field console instead of its next device.
    BootServer(boost::asio::io_context& io, Store& store, FileReaders& readers, const std::string& address, unsigned short port,
               std::string files_dir, std::size_t most, bool console_for_unknown);
    /// Starts accepting with these script settings; the caller runs the io_context.
    void start(BootScriptSettings scripts);
    unsigned short port() const noexcept { return port_; }

private:
    boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket, ConnectionSlot slot);
    /// The script for /boot/machine.ipxe?QUERY, or "" for a query without a valid mac=.
    std::string script_for(const std::string& query, const std::string& peer);

    boost::asio::io_context& io_;
    Store& store_;
    FileReaders& readers_;
    boost::asio::ip::tcp::acceptor acceptor_;
    unsigned short port_ = 0;
    std::string files_dir_;
    std::size_t most_;
    bool console_for_unknown_;
    BootScriptSettings scripts_;
};

}  // namespace dagda::controller
