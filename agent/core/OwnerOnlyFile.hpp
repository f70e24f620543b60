#pragma once
/// Files that hold secrets (a private key, a token, pre-signed URLs, a plan that names them):
/// its owner's only from the first byte, so no other user on the machine ever reads them.

#include <string>
#include <string_view>

namespace dagda {

enum class Durability {
    scratch,  ///< a file for a program's run: written in place, removed again when a write fails
    durable,  ///< a file kept across crashes: written beside, synced, renamed into place
};

/// Writes `bytes` to `path` as a new file of mode 0600. It is always a new file (O_EXCL,
/// O_NOFOLLOW): what was at the name before is removed, never written through, so a link or a
/// file that someone else made there cannot catch the secret.
/// scratch: written at `path`. durable: written at PATH.new, synced, then renamed over `path`,
/// so a crash leaves the old file or none, never one cut short.
/// Throws Error{failed} naming the file and the system's reason.
void write_owner_only(const std::string& path, std::string_view bytes, Durability durability = Durability::scratch);

}  // namespace dagda
