#include "app/ArchiveArgument.hpp"

#include "core/Error.hpp"
#include "recovery/RecoveryPlan.hpp"

#include <fstream>

namespace dagda::app {

namespace po = boost::program_options;

namespace {

/// Cuts a trailing `mark` followed by digits (and no '/') off `text`; returns the number.
std::optional<std::uint32_t> cut_number(std::string& text, char mark) {
    const std::size_t at = text.rfind(mark);
    if (at == std::string::npos || at == 0 || at + 1 == text.size() || at + 10 < text.size() ||
        text.find_first_not_of("0123456789", at + 1) != std::string::npos)
        return std::nullopt;
    const auto number = static_cast<std::uint32_t>(std::stoul(text.substr(at + 1)));
    text.erase(at);
    return number;
}

}  // namespace

ArchiveArgument parse_archive_argument(const std::string& text, bool with_volume) {
    ArchiveArgument archive{text, std::nullopt, std::nullopt};
    if (with_volume) archive.volume = cut_number(archive.location, ':');
    archive.generation = cut_number(archive.location, '@');
    return archive;
}

void add_generation_option(po::options_description& options) {
    options.add_options()("generation", po::value<unsigned>(),
                          "which generation of the chain, 1 = the full backup (default: the archive named; also ARCHIVE@N)");
}

std::string generation_file(const ArchiveArgument& archive, const po::variables_map& vm) {
    std::optional<unsigned> number = archive.generation;
    if (vm.count("generation")) {
        if (number) throw po::error("name the generation once: " + archive.location + "@" + std::to_string(*number) + " or --generation");
        number = vm["generation"].as<unsigned>();
    }
    return recovery::generation_location(archive.location, number);
}

void add_archive_urls_option(po::options_description& options) {
    options.add_options()("archive-urls", po::value<std::string>(),
                          "a file of pre-signed URLs of the chain's files in an object store, one per line");
}

std::vector<std::string> archive_urls(const po::variables_map& vm) {
    std::vector<std::string> urls;
    if (!vm.count("archive-urls")) return urls;
    const std::string path = vm["archive-urls"].as<std::string>();
    std::ifstream in(path);
    if (!in) throw Error(ErrorKind::failed, "cannot read the archive URLs in " + path);
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (line.empty()) continue;
        if (line.rfind("http://", 0) != 0 && line.rfind("https://", 0) != 0)
            throw Error(ErrorKind::usage, path + ": line " + std::to_string(number) + " is not an http:// or https:// URL");
        urls.push_back(line);
    }
    if (in.bad()) throw Error(ErrorKind::failed, "cannot read the archive URLs in " + path);
    return urls;
}

image::HttpsTrust archive_urls_trust(const std::vector<std::string>& urls) {
    image::HttpsTrust trust;
    for (const std::string& url : urls) trust.add_signed_url(url);
    return trust;
}

}  // namespace dagda::app
