// dagda tib ls and tib extract: files of an NTFS volume of any generation, read straight from
// the archive (libntfs-3g over the archive reader), without restoring the volume.

#include "app/ArchiveArgument.hpp"
#include "app/Commands.hpp"
#include "core/Error.hpp"
#include "core/UniqueFd.hpp"
#include "core/Units.hpp"
#include "image/ArchiveChain.hpp"
#include "image/VolumeReader.hpp"
#include "windows/ntfs/NtfsFiles.hpp"
#include "windows/ntfs/NtfsPack.hpp"

#include <cerrno>
#include <ctime>
#include <fcntl.h>
#include <unistd.h>
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

    OpenVolume(const ArchiveArgument& ref, const std::string& file, const image::HttpsTrust& access)
        : chain(file, access), number(pick(chain.newest(), ref)), reader(chain.chain(), number),
          ntfs([this](std::uint64_t offset, void* buffer, std::size_t length) { reader.read(offset, buffer, length); },
               reader.size(), file + " volume " + std::to_string(number)) {}
};

/// Unix seconds as UTC ISO 8601, as generations' "created" is written.
std::string utc_text(std::int64_t seconds) {
    const std::time_t time = static_cast<std::time_t>(seconds);
    std::tm parts{};
    char text[32];
    if (!::gmtime_r(&time, &parts) || std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts) == 0) return "";
    return text;
}

/// The name a zip or tar gives the item at `path`: its own name, or for the root "volume-N".
std::string root_name(const std::string& path, std::uint32_t volume) {
    const std::string spelled = windows::ntfs::volume_path(path);
    const std::size_t cut = spelled.find_last_not_of('/');
    if (cut == std::string::npos) return "volume-" + std::to_string(volume);
    const std::size_t start = spelled.rfind('/', cut) + 1;
    return spelled.substr(start, cut + 1 - start);
}

/// The volume named by ARCHIVE[@GENERATION][:VOLUME] and --generation, its chain found with
/// --archive-urls where it is in an object store.
std::unique_ptr<OpenVolume> open_volume(const po::variables_map& vm) {
    const ArchiveArgument ref = parse_archive_argument(vm["archive"].as<std::string>(), true);
    return std::make_unique<OpenVolume>(ref, generation_file(ref, vm), archive_urls_trust(archive_urls(vm)));
}

UniqueFd create_new(const std::string& destination) {
    const int fd = ::open(destination.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0 && (errno == EEXIST || errno == ELOOP))
        throw Error(ErrorKind::refused, "refusing to overwrite " + destination + "; extract into a new path");
    if (fd < 0) throw_errno("cannot create " + destination);
    return UniqueFd(fd);
}

/// One file's bytes to standard output; a folder is refused before anything is written.
class StdoutSink final : public windows::ntfs::TreeSink {
public:
    void folder(const std::string&, std::int64_t) override {
        throw Error(ErrorKind::usage, "a folder cannot be written to standard output as it is: add --zip or --tar");
    }
    void begin_file(const std::string&, std::uint64_t, std::int64_t) override {}
    void file_data(const char* bytes, std::size_t length) override {
        while (length > 0) {
            const ssize_t put = ::write(STDOUT_FILENO, bytes, length);
            if (put < 0 && errno == EINTR) continue;
            if (put <= 0) throw_errno("cannot write to standard output");
            bytes += put;
            length -= static_cast<std::size_t>(put);
        }
    }
    void end_file() override {}
};

/// tib extract --zip|--tar: one archive file, or standard output for "-" (the console's download).
int extract_packed(const po::variables_map& vm, const std::string& format, const std::string& destination) {
    const std::string path = vm["path"].as<std::string>();
    const auto volume = open_volume(vm);
    const UniqueFd file = destination == "-" ? UniqueFd() : create_new(destination);
    std::uint64_t files = 0;
    try {
        files = windows::ntfs::pack(volume->ntfs, path, windows::ntfs::parse_pack_format(format), file ? file.get() : STDOUT_FILENO,
                                    root_name(path, volume->number));
    } catch (...) {
        if (file) ::unlink(destination.c_str());  // a cut archive must not look like a whole one
        throw;
    }
    if (destination != "-") std::cout << "Wrote " << files << " file(s) to " << destination << " (" << format << ")\n";
    return 0;
}

/// tib extract PATH -: a file's bytes on standard output.
int extract_to_stdout(const po::variables_map& vm) {
    const auto volume = open_volume(vm);
    StdoutSink sink;
    windows::ntfs::walk(volume->ntfs, vm["path"].as<std::string>(), sink);
    return 0;
}

}  // namespace

int run_tib_ls(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("archive", po::value<std::string>()->required(), "ARCHIVE.tib[@GENERATION][:VOLUME]")(
        "path", po::value<std::string>()->default_value("/"), "folder in the volume")("json", "print JSON");
    add_generation_option(options);
    add_archive_urls_option(options);
    po::positional_options_description positional;
    positional.add("archive", 1).add("path", 1);
    const auto vm = parse_args(args, {"tib", "ls"}, options, positional);
    if (!vm) return 0;
    const auto volume = open_volume(*vm);
    const auto entries = windows::ntfs::list_directory(volume->ntfs, (*vm)["path"].as<std::string>());
    if (vm->count("json")) {
        json out = json::array();
        for (const auto& e : entries)
            out.push_back({{"name", e.name}, {"directory", e.is_directory}, {"size_bytes", e.size}, {"modified", utc_text(e.modified)}});
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
        "destination", po::value<std::string>()->required(), "where to write it (must not exist yet); - for standard output")(
        "zip", "write one zip file (entries stored) instead of files and folders")("tar", "write one tar file (POSIX pax) instead");
    add_generation_option(options);
    add_archive_urls_option(options);
    po::positional_options_description positional;
    positional.add("archive", 1).add("path", 1).add("destination", 1);
    const auto vm = parse_args(args, {"tib", "extract"}, options, positional);
    if (!vm) return 0;
    const std::string destination = (*vm)["destination"].as<std::string>();
    if (vm->count("zip") && vm->count("tar")) throw po::error("--zip and --tar exclude each other");
    if (vm->count("zip") || vm->count("tar")) return extract_packed(*vm, vm->count("zip") ? "zip" : "tar", destination);
    if (destination == "-") return extract_to_stdout(*vm);
    if (std::filesystem::exists(destination))
        throw Error(ErrorKind::refused, "refusing to overwrite " + destination + "; extract into a new path");
    const auto volume = open_volume(*vm);
    const std::uint64_t files = windows::ntfs::extract(volume->ntfs, (*vm)["path"].as<std::string>(), destination);
    std::cout << "Extracted " << files << " file(s) to " << destination << "\n";
    return 0;
}

}  // namespace dagda::app
