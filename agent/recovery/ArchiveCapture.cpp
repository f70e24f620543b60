// A new TIB generation from a disk or volume: the GENR record (who, when, what, its base), then
// the layout and first track of a disk, then each volume's used blocks.

#include "recovery/ArchiveCapture.hpp"

#include "core/Error.hpp"
#include "core/UniqueFd.hpp"
#include "core/Url.hpp"
#include "disk/LayoutReader.hpp"
#include "disk/PartitionTypes.hpp"
#include "disk/SfdiskJson.hpp"
#include "disk/sys/BlkidProbe.hpp"
#include "image/ArchiveChain.hpp"
#include "image/TibWriter.hpp"
#include "image/source/ByteSource.hpp"
#include "windows/ntfs/NtfsVolume.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <thread>

namespace dagda::recovery {

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

class Capture {
public:
    Capture(const CaptureRequest& request, image::TibWriter& writer, image::ArchiveChain* base)
        : request_(request), writer_(writer), base_(base) {}

    image::VolumeIndex volume(const image::VolumeRange& range, std::uint32_t number, std::uint64_t first_sector) {
        image::VolumeSpec spec;
        spec.number = number;
        spec.first_sector = first_sector;
        spec.filesystem = filesystem_type(range.fd, range.offset, range.size, range.name);
        if (base_) {
            base_->newest().volume(number);  // throws, naming the base, when it lacks this volume
            spec.base = &base_->chain();
        }
        if (spec.filesystem == "ntfs") {
            // Only what $Bitmap marks used; an NTFS that libntfs-3g cannot read is still captured,
            // block by block, rather than not at all.
            try {
                windows::ntfs::UsedBlocks used = windows::ntfs::ntfs_used_blocks(range.fd, range.offset, range.size, range.name);
                spec.block_size = used.block_size;
                spec.used_bitmap = std::move(used.bitmap);
            } catch (const Error& e) {
                if (request_.warn) request_.warn(std::string(e.what()) + "; capturing every non-zero block of " + range.name);
            }
        }
        if (request_.volume_started) request_.volume_started(range.name);
        return image::capture_volume(writer_, range, spec, request_.options, request_.progress ? request_.progress : [](std::uint64_t, std::uint64_t) {});
    }

    std::vector<image::VolumeIndex> disk(int fd, const disk::TargetInfo& source) {
        const auto layout = disk::read_layout(source);
        if (!layout) throw Error(ErrorKind::failed, request_.source + " has no partition table; capture it as a volume");
        if (layout->partitions.empty()) throw Error(ErrorKind::failed, request_.source + " has no partition to capture");
        writer_.add_layout(disk::to_sfdisk_json(*layout, true));
        std::uint64_t first = layout->partitions.front().start;
        for (const auto& part : layout->partitions) first = std::min(first, part.start);
        std::vector<std::uint8_t> track(static_cast<std::size_t>(first * layout->sector_size));
        read_exact(fd, track.data(), track.size(), 0, request_.source + " (first track)");
        writer_.add_first_track(track);
        std::vector<image::VolumeIndex> volumes;
        for (const auto& part : layout->partitions) {
            if (disk::is_extended(layout->label, part.type)) continue;  // a container; its logicals are volumes
            if (part.end() * layout->sector_size > source.size_bytes)
                throw Error(ErrorKind::failed, request_.source + ": partition " + std::to_string(part.number) + " runs past the end of the disk");
            const image::VolumeRange range{fd, part.start * layout->sector_size, part.size * layout->sector_size,
                                           request_.source + " partition " + std::to_string(part.number)};
            volumes.push_back(volume(range, part.number, part.start));
        }
        return volumes;
    }

private:
    const CaptureRequest& request_;
    image::TibWriter& writer_;
    image::ArchiveChain* base_;
};

}  // namespace

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

CaptureResult capture_archive(const CaptureRequest& request) {
    // A backup is never overwritten by another: generations get new names (and bases are found
    // by name). An upload's controller refuses the same for its archives.
    if (!image::is_url(request.output) && std::filesystem::exists(request.output))
        throw Error(ErrorKind::refused, "refusing to overwrite the existing archive " + request.output + "; choose a new name");
    const disk::TargetInfo source = disk::probe_target(request.source);
    const UniqueFd fd = UniqueFd::open(request.source, O_RDONLY);
    image::CaptureOptions options = request.options;
    image::format::FileHeader header;
    header.generation_id = random_id();
    header.required_features = options.level > 0 ? image::format::feature_zstd : 0;
    // Version 1.1 window digests, unless the chain began with 1.0 ones: a generation's window
    // digests are compared with its base's, so a chain keeps one definition.
    bool shared_digest = true;
    json base = nullptr;
    std::unique_ptr<image::ArchiveChain> chain;
    if (!request.base.empty()) {
        chain = std::make_unique<image::ArchiveChain>(request.base, request.trust);
        const std::string kind = chain->newest().generation().value("kind", "");
        if (kind != (request.whole_disk ? "disk" : "volume"))
            throw Error(ErrorKind::failed, request.base + " is a " + kind + " generation; an incremental generation must be of the same kind");
        header.required_features |= image::format::feature_incremental;
        shared_digest = (chain->newest().header().required_features & image::format::feature_shared_digest) != 0;
        // A chain keeps one window size: an incremental takes its base's (an older chain's 1 MiB)
        // unless a window was asked for, which must then match.
        if (!request.window_given && !chain->newest().volumes().empty()) options.window_size = chain->newest().volumes().front().window_size;
        // The base is found by this name beside the new generation: a URL's last part unescaped.
        std::string base_name = request.base.substr(request.base.find_last_of('/') + 1);
        if (image::is_url(request.base)) {
            const auto unescaped = url_unescaped(base_name.substr(0, base_name.find_first_of("?#")));
            if (!unescaped || unescaped->empty()) throw Error(ErrorKind::failed, request.base + " does not end in an archive's name");
            base_name = *unescaped;
        }
        base = {{"id", chain->newest().id()},
                {"digest", image::format::to_hex(chain->newest().trailer().generation_digest)},
                {"name", base_name}};
    }
    if (shared_digest) header.required_features |= image::format::feature_shared_digest;
    json generation{{"format", "dagda-tib"}, {"id", image::format::id_to_hex(header.generation_id)},
                    {"created", utc_now()},  {"host", host_name()},
                    {"kind", request.whole_disk ? "disk" : "volume"},
                    {"sector_size", source.logical_sector_size},
                    {"base", base},          {"tool", request.tool}};
    // A restore fits the layout by the difference in disk size: a disk of this size gets it unchanged.
    if (request.whole_disk) generation["disk_size"] = source.size_bytes;
    if (!request.machine.empty()) generation["machine"] = request.machine;
    image::TibWriter writer(image::open_sink(request.output, request.trust, request.upload), header, generation);
    CaptureRequest own = request;
    own.options = options;
    Capture capture(own, writer, chain.get());
    CaptureResult result;
    if (request.whole_disk) result.volumes = capture.disk(fd.get(), source);
    else result.volumes.push_back(capture.volume({fd.get(), 0, source.size_bytes, request.source}, 0, 0));
    result.digest = image::format::to_hex(writer.finish(result.volumes));
    result.archive = request.output;
    result.generation = generation["id"];
    result.archive_bytes = writer.bytes_written();
    return result;
}

}  // namespace dagda::recovery
