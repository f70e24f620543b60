// dagda tib ls and tib extract: files of an NTFS volume of any generation, read straight from
// the archive (libntfs-3g over the archive reader), without restoring the volume.

#include "app/Commands.hpp"
#include "core/Error.hpp"
#include "core/Units.hpp"
#include "image/ArchiveChain.hpp"
#include "image/VolumeReader.hpp"
#include "windows/ntfs/NtfsFiles.hpp"

#include <iostream>

namespace dagda::app {

namespace po = boost::program_options;
using nlohmann::json;

namespace {

struct VolumeRef {
    std::string archive;
    std::optional<std::uint32_t> volume;
};

// "server.tib:2" names volume 2; a trailing ":digits" is the volume (URLs have colons elsewhere).
VolumeRef parse_ref(const std::string& text) {
    const std::size_t colon = text.rfind(':');
    if (colon != std::string::npos && colon + 1 < text.size() &&
        text.find_first_not_of("0123456789", colon + 1) == std::string::npos && text.find('/', colon) == std::string::npos)
        return {text.substr(0, colon), static_cast<std::uint32_t>(std::stoul(text.substr(colon + 1)))};
    return {text, std::nullopt};
}

std::uint32_t pick(const image::TibArchive& archive, const VolumeRef& ref) {
    if (ref.volume) return archive.volume(*ref.volume).number;
    std::optional<std::uint32_t> ntfs;
    for (const auto& v : archive.volumes()) {
        if (v.filesystem != "ntfs") continue;
        if (ntfs) throw po::error(archive.name() + " holds several NTFS volumes; name one as ARCHIVE.tib:N");
        ntfs = v.number;
    }
    if (!ntfs) throw Error(ErrorKind::failed, archive.name() + " holds no NTFS volume");
    return *ntfs;
}

// Opens the volume's NTFS through the archive; reader and volume live as long as this object.
struct OpenVolume {
    image::ArchiveChain chain;
    std::uint32_t number;
    image::VolumeReader reader;
    windows::ntfs::NtfsVolume ntfs;

    explicit OpenVolume(const VolumeRef& ref)
        : chain(ref.archive), number(pick(chain.newest(), ref)), reader(chain.chain(), number),
          ntfs([this](std::uint64_t offset, void* buffer, std::size_t length) { reader.read(offset, buffer, length); },
               reader.size(), ref.archive + " volume " + std::to_string(number)) {}
};

}  // namespace

int run_tib_ls(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("archive", po::value<std::string>()->required(), "ARCHIVE.tib or ARCHIVE.tib:VOLUME")(
        "path", po::value<std::string>()->default_value("/"), "folder in the volume")("json", "print JSON");
    po::positional_options_description positional;
    positional.add("archive", 1).add("path", 1);
    const auto vm = parse_args(args, {"tib", "ls"}, options, positional);
    if (!vm) return 0;
    OpenVolume volume(parse_ref((*vm)["archive"].as<std::string>()));
    const auto entries = windows::ntfs::list_directory(volume.ntfs, (*vm)["path"].as<std::string>());
    if (vm->count("json")) {
        json out = json::array();
        for (const auto& e : entries) out.push_back({{"name", e.name}, {"directory", e.is_directory}, {"size_bytes", e.size}});
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    for (const auto& e : entries)
        std::cout << (e.is_directory ? "d " : "- ") << (e.is_directory ? std::string(10, ' ') : human_bytes(e.size)) << "  "
                  << e.name << (e.is_directory ? "/" : "") << "\n";
    return 0;
}

int run_tib_extract(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("archive", po::value<std::string>()->required(), "ARCHIVE.tib or ARCHIVE.tib:VOLUME")(
        "path", po::value<std::string>()->required(), "file or folder in the volume")(
        "destination", po::value<std::string>()->required(), "where to write it (must not exist yet)");
    po::positional_options_description positional;
    positional.add("archive", 1).add("path", 1).add("destination", 1);
    const auto vm = parse_args(args, {"tib", "extract"}, options, positional);
    if (!vm) return 0;
    const std::string destination = (*vm)["destination"].as<std::string>();
    if (std::filesystem::exists(destination))
        throw Error(ErrorKind::refused, "refusing to overwrite " + destination + "; extract into a new path");
    OpenVolume volume(parse_ref((*vm)["archive"].as<std::string>()));
    const std::uint64_t files = windows::ntfs::extract(volume.ntfs, (*vm)["path"].as<std::string>(), destination);
    std::cout << "Extracted " << files << " file(s) to " << destination << "\n";
    return 0;
}

}  // namespace dagda::app
