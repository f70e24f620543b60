// dagda tib ls and tib extract: files of an NTFS volume of any generation, read straight from
// the archive (libntfs-3g over the archive reader), without restoring the volume.

#include "app/ArchiveArgument.hpp"
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

std::uint32_t pick(const image::TibArchive& archive, const ArchiveArgument& ref) {
    if (ref.volume) return archive.volume(*ref.volume).number;
    std::optional<std::uint32_t> ntfs;
    for (const auto& v : archive.volumes()) {
        if (v.filesystem != "ntfs") continue;
        if (ntfs) throw po::error(archive.name() + " holds several NTFS volumes; name one as ARCHIVE.tib:VOLUME");
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

    OpenVolume(const ArchiveArgument& ref, const std::string& file)
        : chain(file), number(pick(chain.newest(), ref)), reader(chain.chain(), number),
          ntfs([this](std::uint64_t offset, void* buffer, std::size_t length) { reader.read(offset, buffer, length); },
               reader.size(), file + " volume " + std::to_string(number)) {}
};

/// The volume named by ARCHIVE[@GENERATION][:VOLUME] and --generation.
std::unique_ptr<OpenVolume> open_volume(const po::variables_map& vm) {
    const ArchiveArgument ref = parse_archive_argument(vm["archive"].as<std::string>(), true);
    return std::make_unique<OpenVolume>(ref, generation_file(ref, vm));
}

}  // namespace

int run_tib_ls(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("archive", po::value<std::string>()->required(), "ARCHIVE.tib[@GENERATION][:VOLUME]")(
        "path", po::value<std::string>()->default_value("/"), "folder in the volume")("json", "print JSON");
    add_generation_option(options);
    po::positional_options_description positional;
    positional.add("archive", 1).add("path", 1);
    const auto vm = parse_args(args, {"tib", "ls"}, options, positional);
    if (!vm) return 0;
    const auto volume = open_volume(*vm);
    const auto entries = windows::ntfs::list_directory(volume->ntfs, (*vm)["path"].as<std::string>());
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
    options.add_options()("archive", po::value<std::string>()->required(), "ARCHIVE.tib[@GENERATION][:VOLUME]")(
        "path", po::value<std::string>()->required(), "file or folder in the volume")(
        "destination", po::value<std::string>()->required(), "where to write it (must not exist yet)");
    add_generation_option(options);
    po::positional_options_description positional;
    positional.add("archive", 1).add("path", 1).add("destination", 1);
    const auto vm = parse_args(args, {"tib", "extract"}, options, positional);
    if (!vm) return 0;
    const std::string destination = (*vm)["destination"].as<std::string>();
    if (std::filesystem::exists(destination))
        throw Error(ErrorKind::refused, "refusing to overwrite " + destination + "; extract into a new path");
    const auto volume = open_volume(*vm);
    const std::uint64_t files = windows::ntfs::extract(volume->ntfs, (*vm)["path"].as<std::string>(), destination);
    std::cout << "Extracted " << files << " file(s) to " << destination << "\n";
    return 0;
}

}  // namespace dagda::app
