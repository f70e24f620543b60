#pragma once
/// Opens a generation and every generation it is based on, and checks that each base is the one
/// the newer generation names (id and generation digest, tib-format.md §5.1).

#include "image/TibArchive.hpp"
#include "image/restore/VolumeRestore.hpp"

#include <memory>
#include <string>
#include <vector>

namespace dagda::image {

class HttpsTrust;  // source/HttpsTrust.hpp

/// The generations of a chain as far as they open, newest first, and why the walk stopped before
/// a full generation (empty when it reached one): `tib info` shows a broken chain instead of failing.
struct ChainWalk {
    std::vector<std::unique_ptr<TibArchive>> archives;
    std::string broken;  ///< "g2.tib is incremental; its base g1.tib is not in /srv/backups"
};

/// Opens `location` and the bases it names, stopping at the first base that is missing or is not
/// the generation its child names. Throws only when `location` itself cannot be opened. https
/// archives are verified as `trust` says for their origin (the system's CAs without it).
ChainWalk walk_chain(const std::string& location, const HttpsTrust& trust);
ChainWalk walk_chain(const std::string& location);

class ArchiveChain {
public:
    /// Opens `location` (a local path or an http(s) URL) and its bases, found by the name each
    /// GENR record gives, in the folder (or URL path) of the archive that names them. Throws
    /// Error{failed} for a missing or wrong base. https archives are verified as `trust` says for
    /// their origin; without it, by the system's CAs.
    ArchiveChain(const std::string& location, const HttpsTrust& trust);
    explicit ArchiveChain(const std::string& location);

    /// Newest first.
    const Chain& chain() const { return pointers_; }
    TibArchive& newest() { return *archives_.front(); }

private:
    std::vector<std::unique_ptr<TibArchive>> archives_;
    Chain pointers_;
};

}  // namespace dagda::image
