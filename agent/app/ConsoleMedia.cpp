#include "app/ConsoleMedia.hpp"

#include "core/Error.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>

namespace dagda::app {

namespace fs = std::filesystem;

namespace {

/// The first IPv4 or IPv6 address of `host`, as text.
std::string address_of(const std::string& host) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (const int error = ::getaddrinfo(host.c_str(), nullptr, &hints, &found); error != 0)
        throw Error(ErrorKind::failed, "cannot find the server " + host + ": " + ::gai_strerror(error));
    char text[INET6_ADDRSTRLEN] = {};
    const void* address = found->ai_family == AF_INET ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr)
                                                       : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(found->ai_addr)->sin6_addr);
    ::inet_ntop(found->ai_family, address, text, sizeof text);
    ::freeaddrinfo(found);
    return text;
}

/// "smb-server-share" from the parts of a share: letters, digits, '.', '-' and '_' kept.
std::string folder_name(const std::string& prefix, const std::string& text) {
    std::string name = prefix;
    for (const char c : text) {
        const char kept = (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '-';
        if (kept != '-' || name.back() != '-') name += kept;  // "server:/path" gives server-path
    }
    while (name.size() > 1 && name.back() == '-') name.pop_back();
    return name;
}

}  // namespace

std::vector<std::string> archives_under(const std::vector<std::string>& roots, std::size_t limit) {
    std::vector<std::string> found;
    for (const std::string& root : roots) {
        std::error_code error;
        for (fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, error), end; it != end && found.size() < limit;
             it.increment(error)) {
            if (error) break;
            if (it.depth() > 3) it.disable_recursion_pending();
            if (it->is_regular_file(error) && it->path().extension() == ".tib") found.push_back(it->path().string());
        }
    }
    return found;
}

ShareMount share_mount(const std::string& share, const std::string& user, const std::string& password, const std::string& root) {
    ShareMount mount;
    mount.source = share;
    if (share.rfind("//", 0) == 0) {
        const std::size_t slash = share.find('/', 2);
        if (slash == std::string::npos || slash == 2 || slash + 1 >= share.size())
            throw Error(ErrorKind::usage, "an SMB share is //server/share, not " + share);
        if (user.find_first_of(",=") != std::string::npos) throw Error(ErrorKind::usage, "an SMB user name cannot hold ',' or '=': " + user);
        mount.type = "cifs";
        mount.server = share.substr(2, slash - 2);
        // The kernel reads a ',' inside the password as ",," (what mount.cifs hands it too).
        std::string escaped;
        for (const char c : password) escaped += c == ',' ? std::string(",,") : std::string(1, c);
        const std::string credentials = user.empty() ? "guest" : "username=" + user + ",password=" + escaped;
        mount.attempts = {{"SMB", "ip=" + address_of(mount.server) + "," + credentials}};
        mount.mount_point = (fs::path(root) / folder_name("smb-", share.substr(2))).string();
        return mount;
    }
    const std::size_t colon = share.find(":/");
    if (colon == std::string::npos || colon == 0) throw Error(ErrorKind::usage, "a share is //server/share (SMB) or server:/path (NFS), not " + share);
    mount.type = "nfs";
    mount.server = share.substr(0, colon);
    mount.mount_point = (fs::path(root) / folder_name("nfs-", share)).string();
    const std::string address = address_of(mount.server);
    // v3 needs the server's portmapper and mountd; nolock: no lock daemon runs in the live
    // image, and nothing here writes.
    mount.attempts = {{"NFS v4", "vers=4,addr=" + address}, {"NFS v3", "vers=3,nolock,addr=" + address}};
    return mount;
}

void mount_share(const ShareMount& mount) {
    std::error_code error;
    fs::create_directories(mount.mount_point, error);
    std::string why;
    for (const ShareAttempt& attempt : mount.attempts) {
        if (::mount(mount.source.c_str(), mount.mount_point.c_str(), mount.type.c_str(), MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                    attempt.options.c_str()) == 0)
            return;
        why += (why.empty() ? "" : "; ") + attempt.name + ": " + std::strerror(errno);
    }
    fs::remove(mount.mount_point, error);  // only an empty folder goes
    // The kernel's errno is terse ("No such file or directory" for a missing cipher): its log says why.
    throw Error(ErrorKind::failed, "cannot mount " + mount.source + " (" + why + "; dmesg says more)");
}

}  // namespace dagda::app
