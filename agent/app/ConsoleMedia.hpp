#pragma once
/// Where the console finds backups: the folders it searches, the USB and disk media the live
/// image mounts there (initramfs/mount-media), and SMB or NFS shares the engineer mounts.

#include <string>
#include <vector>

namespace dagda::app {

/// *.tib files up to three folders deep under the search roots, at most `limit`.
std::vector<std::string> archives_under(const std::vector<std::string>& roots, std::size_t limit);

/// A network share as the engineer types it: //server/share (SMB) or server:/path (NFS).
struct ShareMount {
    std::string type;                ///< "cifs" or "nfs"
    std::string source;              ///< //server/share or server:/path
    std::string server;              ///< the host name or address
    std::vector<std::string> argv;   ///< the mount command (read-only), options included
    std::string mount_point;         ///< ROOT/smb-server-share or ROOT/nfs-server-path
};

/// The read-only mount of `share` under `root`, the server's name resolved to the address the
/// kernel needs (busybox mount passes options straight to the kernel, which resolves no names).
/// SMB takes `user` and `password` (empty user: a guest mount). Throws Error{usage} for a share
/// that is neither form, Error{failed} when the name does not resolve.
ShareMount share_mount(const std::string& share, const std::string& user, const std::string& password, const std::string& root);

/// Runs the mount; throws Error{failed} with mount's own message when it fails.
void mount_share(const ShareMount& mount);

}  // namespace dagda::app
