#pragma once
/// How the tib commands name an archive, one of its generations and one of its volumes:
/// `ARCHIVE.tib[@GENERATION][:VOLUME]` or `--generation N`. A generation is counted along the
/// chain, 1 = the full backup it starts with (the numbers `dagda tib info` shows); a volume is
/// the partition number on the source disk (0 for a volume capture).

#include "image/source/HttpsTrust.hpp"

#include <boost/program_options.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dagda::app {

struct ArchiveArgument {
    std::string location;                   ///< the archive named (path or URL), without @N or :N
    std::optional<unsigned> generation;     ///< from @N
    std::optional<std::uint32_t> volume;    ///< from :N
};

/// Splits "server.tib@2:1". Only a trailing "@digits" or ":digits" with no '/' after it counts
/// (URLs have '@' and ':' elsewhere). `with_volume` false: ":N" is left in the location.
ArchiveArgument parse_archive_argument(const std::string& text, bool with_volume);

/// Adds --generation N.
void add_generation_option(boost::program_options::options_description& options);

/// The file (path or URL) of the generation chosen by @N or --generation (the archive named when
/// neither is given). Throws boost::program_options::error when both are given, Error{usage}
/// for a number outside the chain.
std::string generation_file(const ArchiveArgument& archive, const boost::program_options::variables_map& vm);

/// Adds --archive-urls FILE: pre-signed URLs of the chain's files in an object store
/// (docs/archive-store.md), one per line, where a base that is not beside the archive is found.
/// In a file, not on the command line, where any local user could read them in `ps`.
void add_archive_urls_option(boost::program_options::options_description& options);

/// The URLs of --archive-urls (none without it). Throws Error{usage} naming the file and line
/// of anything but an http:// or https:// URL, Error{failed} when the file cannot be read.
std::vector<std::string> archive_urls(const boost::program_options::variables_map& vm);

/// Those URLs as the trust a chain is read with.
image::HttpsTrust archive_urls_trust(const std::vector<std::string>& urls);

}  // namespace dagda::app
