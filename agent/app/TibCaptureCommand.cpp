// dagda tib capture: a whole disk (layout, first track, every partition) or one volume into a TIB
// file, or uploaded to the controller (recovery/ArchiveCapture.cpp does the work).

#include "app/ArchiveArgument.hpp"
#include "app/Commands.hpp"
#include "app/ControllerTrust.hpp"
#include "app/Progress.hpp"
#include "app/Version.hpp"
#include "core/Error.hpp"
#include "core/Units.hpp"
#include "core/Url.hpp"
#include "disk/Target.hpp"
#include "image/source/ByteSource.hpp"
#include "net/TlsTrust.hpp"
#include "recovery/ArchiveCapture.hpp"

#include <chrono>
#include <iostream>
#include <memory>

namespace dagda::app {

namespace po = boost::program_options;
using nlohmann::json;

namespace {

/// An upload URL's controller is trusted by --pin or --ca, as the agent trusts it.
image::HttpsTrust trust_of(const po::variables_map& vm, const std::string& output) {
    const bool pinned = vm.count("pin") > 0, with_ca = vm.count("ca") > 0;
    if (!image::is_url(output)) {
        if (pinned || with_ca) throw po::error("--pin and --ca are for an upload URL");
        return {};
    }
    if (pinned == with_ca) throw po::error("an upload URL needs exactly one of --pin PIN and --ca FILE: how to trust the controller");
    const Url url = parse_url(output, ErrorKind::usage);
    if (url.scheme != "https") throw po::error("an upload URL is https://CONTROLLER/uploads/…");
    return controller_https_trust(url.host, url.port.empty() ? "443" : url.port,
                                  {pinned ? vm["pin"].as<std::string>() : "", with_ca ? vm["ca"].as<std::string>() : ""});
}

}  // namespace

int run_tib_capture(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("disk", po::value<std::string>(), "capture a whole disk: layout, first track, every partition")(
        "volume", po::value<std::string>(), "capture one volume (a partition, a block device or an image file)")(
        "output", po::value<std::string>()->required(), "the archive to write (OUT.tib), or the controller's upload URL (https://…/uploads/KEY/SERVER/NAME.tib)")(
        "pin", po::value<std::string>(), "an upload URL: the SHA-256 pin of the controller's certificate")(
        "ca", po::value<std::string>(), "an upload URL: or the CA file the controller's certificate must chain to")(
        "base", po::value<std::string>(), "write an incremental generation on top of this archive (keep them in one folder)")(
        "level", po::value<int>()->default_value(3), "zstd level, 1-19 (0: store uncompressed)")(
        "threads", po::value<unsigned>()->default_value(2), "compression threads")(
        "window", po::value<std::uint64_t>()->default_value(image::format::default_window_size), "window size in bytes: a power of two, 64 KiB to 64 MiB (an incremental: its base's)")(
        "machine-cpus", po::value<unsigned>(), "the source machine's CPUs, recorded for a recovery to a new VM (default: this machine's, for a block device)")(
        "machine-memory", po::value<unsigned>(), "the source machine's memory in MiB, recorded likewise")(
        "progress", po::value<std::string>()->default_value("text"), "progress on stderr: text, json or none")(
        "json", "print the result as JSON");
    add_archive_urls_option(options);
    po::positional_options_description positional;
    positional.add("output", 1);
    const auto vm = parse_args(args, {"tib", "capture"}, options, positional);
    if (!vm) return 0;
    if (vm->count("disk") == vm->count("volume")) throw po::error("give exactly one of --disk SRC and --volume SRC");
    recovery::CaptureRequest job;
    job.whole_disk = vm->count("disk") > 0;
    job.source = (*vm)[job.whole_disk ? "disk" : "volume"].as<std::string>();
    job.output = (*vm)["output"].as<std::string>();
    job.options.level = (*vm)["level"].as<int>();
    job.options.threads = (*vm)["threads"].as<unsigned>();
    const ProgressMode progress = parse_progress_mode((*vm)["progress"].as<std::string>());
    if (job.options.level < 0 || job.options.level > 19) throw po::error("--level must be 0 to 19");
    job.options.window_size = (*vm)["window"].as<std::uint64_t>();
    job.window_given = !(*vm)["window"].defaulted();
    if (job.options.window_size < image::format::min_window_size || job.options.window_size > image::format::max_window_size ||
        (job.options.window_size & (job.options.window_size - 1)) != 0)
        throw po::error("--window must be a power of two from 65536 to 67108864");
    if (vm->count("base")) job.base = (*vm)["base"].as<std::string>();
    job.tool = version_text;
    job.trust = trust_of(*vm, job.output);
    // A base in an object store: its chain found through these (docs/archive-store.md).
    for (const std::string& url : archive_urls(*vm)) job.trust.add_signed_url(url);
    // The source machine's profile, for a new VM of its size: this machine's when its own disk is
    // captured, what the operator says otherwise; an image file's machine is not known here.
    if (disk::probe_target(job.source).is_block_device) job.machine = recovery::this_machine_profile();
    if (vm->count("machine-cpus")) job.machine["cpus"] = (*vm)["machine-cpus"].as<unsigned>();
    if (vm->count("machine-memory")) job.machine["memory_mib"] = (*vm)["machine-memory"].as<unsigned>();
    std::unique_ptr<ProgressPrinter> printer;
    job.volume_started = [&](const std::string& volume) {
        if (printer) printer->finish();
        printer = std::make_unique<ProgressPrinter>(progress, "capture " + volume);
    };
    job.progress = [&](std::uint64_t done, std::uint64_t total) { printer->update(done, total); };
    job.warn = [](const std::string& warning) { std::cerr << "dagda: warning: " << warning << "\n"; };
    const auto started = std::chrono::steady_clock::now();
    const recovery::CaptureResult captured = recovery::capture_archive(job);
    if (printer) printer->finish();
    const auto& volumes = captured.volumes;

    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    json result{{"archive", job.output}, {"generation", captured.generation}, {"digest", captured.digest}, {"archive_bytes", captured.archive_bytes},
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
    std::cout << job.output << ": generation " << captured.generation << ", " << human_bytes(captured.archive_bytes) << " in " << seconds << " s\n";
    return 0;
}

}  // namespace dagda::app
