#pragma once
/// Where the console finds backups: the folders it searches, the USB and disk media the live
/// image mounts there (initramfs/mount-media), and SMB or NFS shares the engineer mounts.

#include <string>
#include <vector>

namespace dagda::app {

/// *.tib files up to three folders deep under the search roots, at most `limit`.
std::vector<std::string> archives_under(const std::vector<std::string>& roots, std::size_t limit);

/// One way of mounting a share: the kernel's option text and what to call it in a message.
struct ShareAttempt {
    std::string name;     ///< "SMB", "NFS v4", "NFS v3"
    std::string options;  ///< the mount(2) data: may hold the password, so it is never printed
};

/// A network share as the engineer types it: //server/share (SMB) or server:/path (NFS).
struct ShareMount {
    std::string type;                   ///< the kernel's filesystem: "cifs" or "nfs"
    std::string source;                 ///< //server/share or server:/path
    std::string server;                 ///< the host name or address
    std::vector<ShareAttempt> attempts; ///< tried in order until one mounts (NFS: v4, then v3)
    std::string mount_point;            ///< ROOT/smb-server-share or ROOT/nfs-server-path
};

/// The read-only mount of `share` under `root`, the server's name resolved to the address the
/// kernel needs (the kernel's SMB and NFS clients resolve no names). SMB takes `user` and
/// `password` (empty user: a guest mount). NFS tries v4 (one port, no portmapper) and then v3.
/// Throws Error{usage} for a share that is neither form or a user name the options cannot carry,
/// Error{failed} when the name does not resolve.
ShareMount share_mount(const std::string& share, const std::string& user, const std::string& password, const std::string& root);

/// Mounts read-only by mount(2) itself, the first attempt that works (no mount program in
/// between: the password never shows in a process list). Throws Error{failed} naming why each
/// attempt failed, and leaves no mount point behind.
void mount_share(const ShareMount& mount);

}  // namespace dagda::app
