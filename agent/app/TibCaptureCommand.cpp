// dagda tib capture: a whole disk (layout, first track, every partition) or one volume into a TIB.

#include "app/Commands.hpp"
#include "app/Progress.hpp"
#include "app/Version.hpp"
#include "core/Error.hpp"
#include "core/UniqueFd.hpp"
#include "core/Units.hpp"
#include "disk/LayoutReader.hpp"
#include "disk/PartitionTypes.hpp"
#include "disk/SfdiskJson.hpp"
#include "disk/sys/BlkidProbe.hpp"
#include "image/ArchiveChain.hpp"
#include "image/TibWriter.hpp"
#include "image/capture/VolumeCapture.hpp"
#include "windows/ntfs/NtfsVolume.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <limits>
#include <fstream>
#include <thread>
#include <memory>
#include <ctime>
#include <iostream>
#include <random>

namespace dagda::app {

namespace po = boost::program_options;
using nlohmann::json;

namespace {

std::string utc_now() {
    const std::time_t now = std::time(nullptr);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    return text;
}

std::string host_name() {
    char name[256] = {};
    return ::gethostname(name, sizeof name - 1) == 0 ? name : "unknown";
}

image::format::GenerationId random_id() {
    std::random_device random;
    image::format::GenerationId id{};
    for (auto& byte : id) byte = static_cast<std::uint8_t>(random());
    return id;
}

std::string filesystem_type(int fd, std::uint64_t offset, std::uint64_t size, const std::string& name) {
    try {
        const auto found = disk::sys::BlkidProbe(fd, offset, size, name).filesystem();
        return found ? found->type : "";
    } catch (const Error&) {
        return "";
    }
}

struct CaptureJob {
    std::string source;
    std::string output;
    bool whole_disk = false;
    image::CaptureOptions options;
    ProgressMode progress = ProgressMode::text;
    std::unique_ptr<image::ArchiveChain> base;  ///< for an incremental generation
};

image::VolumeIndex capture_one(image::TibWriter& writer, CaptureJob& job, const image::VolumeRange& range,
                               std::uint32_t number, std::uint64_t first_sector) {
    image::VolumeSpec spec;
    spec.number = number;
    spec.first_sector = first_sector;
    spec.filesystem = filesystem_type(range.fd, range.offset, range.size, range.name);
    if (job.base) {
        job.base->newest().volume(number);  // throws, naming the base, when it lacks this volume
        spec.base = &job.base->chain();
    }
    if (spec.filesystem == "ntfs") {
        // Only what $Bitmap marks used; an NTFS that libntfs-3g cannot read is still captured,
        // block by block, rather than not at all.
        try {
            windows::ntfs::UsedBlocks used = windows::ntfs::ntfs_used_blocks(range.fd, range.offset, range.size, range.name);
            spec.block_size = used.block_size;
            spec.used_bitmap = std::move(used.bitmap);
        } catch (const Error& e) {
            std::cerr << "dagda: warning: " << e.what() << "; capturing every non-zero block of " << range.name << "\n";
        }
    }
    ProgressPrinter printer(job.progress, "capture " + range.name);
    image::VolumeIndex index = image::capture_volume(writer, range, spec, job.options,
                                                     [&](std::uint64_t done, std::uint64_t total) { printer.update(done, total); });
    printer.finish();
    return index;
}

std::vector<image::VolumeIndex> capture_disk(image::TibWriter& writer, CaptureJob& job, int fd, const disk::TargetInfo& source) {
    const auto layout = disk::read_layout(source);
    if (!layout) throw Error(ErrorKind::failed, job.source + " has no partition table; capture it with --volume");
    if (layout->partitions.empty()) throw Error(ErrorKind::failed, job.source + " has no partition to capture");
    writer.add_layout(disk::to_sfdisk_json(*layout, true));
    std::uint64_t first = layout->partitions.front().start;
    for (const auto& part : layout->partitions) first = std::min(first, part.start);
    std::vector<std::uint8_t> track(static_cast<std::size_t>(first * layout->sector_size));
    read_exact(fd, track.data(), track.size(), 0, job.source + " (first track)");
    writer.add_first_track(track);
    std::vector<image::VolumeIndex> volumes;
    for (const auto& part : layout->partitions) {
        if (disk::is_extended(layout->label, part.type)) continue;  // a container; its logicals are volumes
        if (part.end() * layout->sector_size > source.size_bytes)
            throw Error(ErrorKind::failed, job.source + ": partition " + std::to_string(part.number) + " runs past the end of the disk");
        const image::VolumeRange range{fd, part.start * layout->sector_size, part.size * layout->sector_size,
                                       job.source + " partition " + std::to_string(part.number)};
        volumes.push_back(capture_one(writer, job, range, part.number, part.start));
    }
    return volumes;
}

/// This machine's CPUs and memory (MiB), as a new VM of the same size would have them.
json this_machine_profile() {
    json profile = json::object();
    if (const unsigned cpus = std::thread::hardware_concurrency(); cpus > 0) profile["cpus"] = cpus;
    std::ifstream meminfo("/proc/meminfo");
    for (std::string key; meminfo >> key;) {
        std::uint64_t kib = 0;
        if (key == "MemTotal:" && meminfo >> kib) {
            profile["memory_mib"] = kib / 1024;
            break;
        }
        meminfo.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
    }
    return profile;
}

}  // namespace

int run_tib_capture(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("disk", po::value<std::string>(), "capture a whole disk: layout, first track, every partition")(
        "volume", po::value<std::string>(), "capture one volume (a partition, a block device or an image file)")(
        "output", po::value<std::string>()->required(), "the archive to write (OUT.tib)")(
        "base", po::value<std::string>(), "write an incremental generation on top of this archive (keep them in one folder)")(
        "level", po::value<int>()->default_value(3), "zstd level, 1-19 (0: store uncompressed)")(
        "threads", po::value<unsigned>()->default_value(2), "compression threads")(
        "window", po::value<std::uint64_t>()->default_value(image::format::default_window_size), "window size in bytes: a power of two, 64 KiB to 64 MiB (an incremental: its base's)")(
        "machine-cpus", po::value<unsigned>(), "the source machine's CPUs, recorded for a recovery to a new VM (default: this machine's, for a block device)")(
        "machine-memory", po::value<unsigned>(), "the source machine's memory in MiB, recorded likewise")(
        "progress", po::value<std::string>()->default_value("text"), "progress on stderr: text, json or none")(
        "json", "print the result as JSON");
    po::positional_options_description positional;
    positional.add("output", 1);
    const auto vm = parse_args(args, {"tib", "capture"}, options, positional);
    if (!vm) return 0;
    if (vm->count("disk") == vm->count("volume")) throw po::error("give exactly one of --disk SRC and --volume SRC");
    CaptureJob job;
    job.whole_disk = vm->count("disk") > 0;
    job.source = (*vm)[job.whole_disk ? "disk" : "volume"].as<std::string>();
    job.output = (*vm)["output"].as<std::string>();
    job.options.level = (*vm)["level"].as<int>();
    job.options.threads = (*vm)["threads"].as<unsigned>();
    job.progress = parse_progress_mode((*vm)["progress"].as<std::string>());
    if (job.options.level < 0 || job.options.level > 19) throw po::error("--level must be 0 to 19");
    job.options.window_size = (*vm)["window"].as<std::uint64_t>();
    if (job.options.window_size < image::format::min_window_size || job.options.window_size > image::format::max_window_size ||
        (job.options.window_size & (job.options.window_size - 1)) != 0)
        throw po::error("--window must be a power of two from 65536 to 67108864");

    // A backup is never overwritten by another: generations get new names (and bases are found by name).
    if (std::filesystem::exists(job.output))
        throw Error(ErrorKind::refused, "refusing to overwrite the existing archive " + job.output + "; choose a new name");
    const auto started = std::chrono::steady_clock::now();
    const disk::TargetInfo source = disk::probe_target(job.source);
    const UniqueFd fd = UniqueFd::open(job.source, O_RDONLY);
    image::format::FileHeader header;
    header.generation_id = random_id();
    header.required_features = job.options.level > 0 ? image::format::feature_zstd : 0;
    // Version 1.1 window digests, unless the chain began with 1.0 ones: a generation's window
    // digests are compared with its base's, so a chain keeps one definition.
    bool shared_digest = true;
    json base = nullptr;
    if (vm->count("base")) {
        const std::string base_path = (*vm)["base"].as<std::string>();
        job.base = std::make_unique<image::ArchiveChain>(base_path);
        if (job.base->newest().generation()["kind"] != (job.whole_disk ? "disk" : "volume"))
            throw Error(ErrorKind::failed, base_path + " is a " + job.base->newest().generation()["kind"].get<std::string>() +
                                               " generation; an incremental generation must be of the same kind");
        header.required_features |= image::format::feature_incremental;
        shared_digest = (job.base->newest().header().required_features & image::format::feature_shared_digest) != 0;
        // A chain keeps one window size: an incremental takes its base's (an older chain's 1 MiB)
        // unless --window names one, which must then match.
        if ((*vm)["window"].defaulted() && !job.base->newest().volumes().empty())
            job.options.window_size = job.base->newest().volumes().front().window_size;
        base = {{"id", job.base->newest().id()},
                {"digest", image::format::to_hex(job.base->newest().trailer().generation_digest)},
                {"name", std::filesystem::path(base_path).filename().string()}};
    }
    if (shared_digest) header.required_features |= image::format::feature_shared_digest;
    json generation{{"format", "dagda-tib"}, {"id", image::format::id_to_hex(header.generation_id)},
                          {"created", utc_now()},  {"host", host_name()},
                          {"kind", job.whole_disk ? "disk" : "volume"},
                          {"sector_size", source.logical_sector_size},
                          {"base", base},          {"tool", version_text}};
    // A restore fits the layout by the difference in disk size: a disk of this size gets it unchanged.
    if (job.whole_disk) generation["disk_size"] = source.size_bytes;
    // The source machine's profile, for a new VM of its size: this machine's when its own disk is
    // captured, what the operator says otherwise; an image file's machine is not known here.
    json machine = json::object();
    if (source.is_block_device) machine = this_machine_profile();
    if (vm->count("machine-cpus")) machine["cpus"] = (*vm)["machine-cpus"].as<unsigned>();
    if (vm->count("machine-memory")) machine["memory_mib"] = (*vm)["machine-memory"].as<unsigned>();
    if (!machine.empty()) generation["machine"] = machine;
    image::TibWriter writer(job.output, header, generation);
    std::vector<image::VolumeIndex> volumes;
    if (job.whole_disk) volumes = capture_disk(writer, job, fd.get(), source);
    else volumes.push_back(capture_one(writer, job, {fd.get(), 0, source.size_bytes, job.source}, 0, 0));
    writer.finish(volumes);

    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    json result{{"archive", job.output}, {"generation", generation["id"]}, {"archive_bytes", writer.bytes_written()},
                {"seconds", seconds}, {"volumes", json::array()}};
    for (const auto& v : volumes)
        result["volumes"].push_back({{"number", v.volume.number}, {"filesystem", v.volume.filesystem},
                                     {"size_bytes", v.volume.volume_size}, {"used_blocks", v.volume.used_blocks},
                                     {"block_size", v.volume.block_size}});
    if (vm->count("json")) {
        std::cout << result.dump(2) << "\n";
        return 0;
    }
    for (const auto& v : volumes)
        std::cout << "volume " << v.volume.number << " (" << (v.volume.filesystem.empty() ? "unknown fs" : v.volume.filesystem)
                  << "): " << human_bytes(v.volume.volume_size) << ", " << human_bytes(v.volume.used_blocks * v.volume.block_size)
                  << " used\n";
    std::cout << job.output << ": generation " << generation["id"].get<std::string>() << ", "
              << human_bytes(writer.bytes_written()) << " in " << seconds << " s\n";
    return 0;
}

}  // namespace dagda::app
