#pragma once
/// The servers of an archive folder, as the controller lists them (GET /api/servers): a folder
/// per server, holding one chain of generations per disk (a full backup and the incrementals on
/// it, each file naming its base). A chain is known by its newest file, the one no other file of
/// the folder names as its base. A server's generation N is the Nth generation of each of its
/// chains: what one backup run of the whole server wrote (docs/vm-recovery.md).

#include "image/source/HttpsTrust.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace dagda::recovery {

struct GenerationSummary {
    unsigned number = 0;     ///< 1 = the full backup the chain starts with
    std::string file;        ///< its file name in the server's folder
    std::string created;     ///< when it was captured (UTC, ISO 8601)
    std::string kind;        ///< "full" or "incremental"
    std::uint64_t bytes = 0; ///< the file's size
};

/// A volume of a chain's disk, as its newest generation holds it.
struct VolumeSummary {
    std::uint32_t number = 0;      ///< ARCHIVE.tib:NUMBER names it (tib ls, tib extract)
    std::string filesystem;        ///< "ntfs", "vfat", … ("" when not known)
    std::uint64_t bytes = 0;       ///< the volume's size
    std::uint64_t used_bytes = 0;  ///< what its filesystem uses (what a backup copies)
};

struct ChainSummary {
    std::string newest;          ///< the chain's newest file: what names the chain
    std::string host;            ///< the machine it was captured on
    std::uint64_t disk_bytes = 0;  ///< the source disk's size (0: a volume backup)
    std::string table;           ///< "dos", "gpt" or "" (a volume backup)
    unsigned cpus = 0;           ///< the source machine's, when the newest generation records it (0: not known)
    std::uint64_t memory_mib = 0;  ///< likewise
    std::vector<VolumeSummary> volumes;          ///< the newest generation's
    std::vector<GenerationSummary> generations;  ///< oldest first
    std::string broken;          ///< why the walk stopped before the full backup ("" when whole)
};

struct ServerSummary {
    std::string name;  ///< its folder's name
    std::vector<ChainSummary> chains;  ///< disk 1, 2, …: by the name of the full backup each chain begins with
    /// The generations every chain has (0 when a chain is broken or there is none): what can be
    /// recovered as a whole server.
    unsigned generations = 0;
};

/// A server's archive files wherever they are kept (docs/archive-store.md): their names, where
/// each is opened (a path in a folder, or a pre-signed URL of a bucket's object), and the access
/// that finds a base beside it (the pre-signed URLs of all of them).
struct ServerFiles {
    std::string name;
    std::vector<std::string> files;  ///< *.tib file names
    std::function<std::string(const std::string& file)> location;
    image::HttpsTrust access;
};

/// The summary of a server's files: its chains, each known by its newest file, read through
/// `files.location`. A file that cannot be read is its own chain, reported as broken.
ServerSummary summarize_server(const ServerFiles& files);

/// The servers under `archives` (one per subfolder holding *.tib files), sorted by name. A file
/// that cannot be read is reported in its chain's `broken` instead of failing the listing.
std::vector<ServerSummary> servers_in(const std::string& archives);

/// One server's folder: servers_in's entry for `name`. Throws Error{usage} for a name that is
/// not a plain folder name, Error{failed} when there is no such server.
ServerSummary server_in(const std::string& archives, const std::string& name);

}  // namespace dagda::recovery
