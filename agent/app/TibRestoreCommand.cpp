// dagda tib restore: one volume onto a partition, device or file; or --disk: layout, first track,
// then every volume; --onto-generation goes to TibDeltaRestore.cpp.

#include "app/ArchiveArgument.hpp"
#include "app/Commands.hpp"
#include "app/Progress.hpp"
#include "core/Error.hpp"
#include "core/UniqueFd.hpp"
#include "core/Units.hpp"
#include "disk/Committer.hpp"
#include "disk/OnDiskTable.hpp"
#include "disk/Plan.hpp"
#include "disk/Safety.hpp"
#include "disk/SfdiskJson.hpp"
#include "app/TibRestoreJob.hpp"
#include "image/ArchiveChain.hpp"
#include "recovery/DiskRestore.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <iostream>

namespace dagda::app {

namespace po = boost::program_options;
using nlohmann::json;

void restore_range(const image::Chain& chain, std::uint32_t number, const image::VolumeRange& range, const RestoreJob& job) {
    ProgressPrinter printer(job.progress, "restore volume " + std::to_string(number) + " to " + range.name);
    const auto report = [&](std::uint64_t done, std::uint64_t total) { printer.update(done, total); };
    image::RestoreCheckpoint resume;
    if (job.checkpoint) {
        resume = job.checkpoint->for_volume(number);
        if (resume.start_window > 0)
            std::cerr << "dagda: resuming volume " << number << " at window " << resume.start_window << " from "
                      << job.checkpoint->path() << "\n";
    }
    image::restore_volume(chain, number, range, job.threads, report, job.checkpoint ? &resume : nullptr);
    printer.finish();
    if (!job.verify) return;
    ProgressPrinter checker(job.progress, "verify " + range.name);
    image::verify_restored(chain, number, range, [&](std::uint64_t done, std::uint64_t total) { checker.update(done, total); });
    checker.finish();
}

namespace {

std::uint32_t pick_volume(const image::TibArchive& archive, const po::variables_map& vm) {
    if (vm.count("volume")) return vm["volume"].as<std::uint32_t>();
    if (archive.volumes().size() != 1)
        throw po::error(archive.name() + " holds " + std::to_string(archive.volumes().size()) +
                        " volumes; name one with --volume N, or restore them all with --disk");
    return archive.volumes().front().number;
}

// One volume: a new image file needs no identity assertion (nothing is overwritten), nor does an
// image file this restore was already writing (its checkpoint says so); anything else that exists
// is checked like a disk apply target.
void restore_one_volume(image::ArchiveChain& chain, std::uint32_t number, RestoreJob& job) {
    const image::format::VolumeInfo& volume = chain.newest().volume(number);
    struct stat st {};
    UniqueFd fd;
    UniqueFd claim;
    std::uint64_t size = volume.volume_size;
    if (::stat(job.target.c_str(), &st) != 0) {
        fd = UniqueFd::open(job.target, O_RDWR | O_CREAT | O_EXCL);
        if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) throw_errno("cannot size " + job.target);
        job.checkpoint->start(chain.newest().id(), size);
    } else {
        const disk::TargetInfo target = disk::probe_target(job.target);
        const bool resuming = job.checkpoint->matches(chain.newest().id(), target.size_bytes);
        if (resuming && !target.is_block_device) disk::check_not_in_use(target);
        else disk::check_target_safe(target, job.expected);  // a device is proven every time
        if (target.size_bytes < volume.volume_size)
            throw Error(ErrorKind::refused, "refusing to restore volume " + std::to_string(number) + " (" +
                                                std::to_string(volume.volume_size) + " bytes) onto " + job.target +
                                                ": it has only " + std::to_string(target.size_bytes) + " bytes (nothing was written)");
        if (!resuming) job.checkpoint->start(chain.newest().id(), target.size_bytes);
        claim = disk::hold_exclusive(target);
        fd = UniqueFd::open(job.target, O_RDWR);
        size = target.size_bytes;
    }
    if (job.checkpoint->volume_done(number)) {
        std::cerr << "dagda: volume " << number << " was restored before the interruption; skipping it\n";
        return;
    }
    restore_range(chain.chain(), number, {fd.get(), 0, size, job.target}, job);
    job.checkpoint->finish_volume(number);
}

void restore_disk(image::ArchiveChain& chain, RestoreJob& job, bool as_json) {
    image::TibArchive& archive = chain.newest();
    if (!archive.layout()) throw Error(ErrorKind::failed, archive.name() + " holds a volume, not a disk; restore it without --disk");
    const disk::TargetInfo target = disk::probe_target(job.target);
    disk::check_target_safe(target, job.expected);
    if (!job.checkpoint->matches(archive.id(), target.size_bytes)) job.checkpoint->start(archive.id(), target.size_bytes);
    disk::PlanOptions options;
    options.fit = true;
    const disk::Plan plan = recovery::archive_disk_plan(archive, target, options);
    for (const auto& volume : archive.volumes()) {
        const auto part = std::find_if(plan.layout.partitions.begin(), plan.layout.partitions.end(),
                                       [&](const auto& p) { return p.number == volume.number; });
        if (part == plan.layout.partitions.end() || part->size * plan.layout.sector_size < volume.volume_size)
            throw Error(ErrorKind::refused, "refusing to restore onto " + job.target + ": partition " + std::to_string(volume.number) +
                                                " would be smaller than its volume (" + human_bytes(volume.volume_size) +
                                                ") (nothing was written)");
    }
    if (!as_json) {
        std::cout << "Plan for " << disk::describe(target) << ":\n" << disk::plan_text(plan);
        std::size_t number = plan.actions.size();
        for (const auto& part : plan.layout.partitions)
            for (const auto& volume : archive.volumes())
                if (volume.number == part.number)
                    if (const auto line = recovery::growth_plan_line(volume, part.number, part.size * plan.layout.sector_size, job.grow_fs))
                        std::cout << ++number << ". " << *line << "\n";
    }
    const UniqueFd claim = disk::hold_exclusive(target);
    disk::commit_plan(plan, [&](const disk::Action& action) {
        if (!as_json) std::cout << action.doing_text() << "\n" << std::flush;
    });
    const UniqueFd fd = UniqueFd::open(job.target, O_RDWR);
    for (const auto& part : plan.layout.partitions) {
        const auto volume = std::find_if(archive.volumes().begin(), archive.volumes().end(),
                                         [&](const auto& v) { return v.number == part.number; });
        if (volume == archive.volumes().end()) continue;  // an extended partition has no volume
        if (job.checkpoint->volume_done(part.number)) {
            std::cerr << "dagda: volume " << part.number << " was restored before the interruption; skipping it\n";
            continue;
        }
        const std::uint64_t ss = plan.layout.sector_size;
        restore_range(chain.chain(), part.number, {fd.get(), part.start * ss, part.size * ss,
                                                   job.target + " partition " + std::to_string(part.number)}, job);
        // A resize cut short leaves the volume half changed: until it is done, a resumed restore
        // writes the volume again from its first window.
        job.checkpoint->for_volume(part.number).record(0);
        if (const auto done = recovery::grow_restored_volume(*volume, part.number, job.target, fd.get(), part.start * ss,
                                                             part.size * ss, job.grow_fs))
            if (!as_json) std::cout << "dagda: " << *done << "\n";
        job.checkpoint->finish_volume(part.number);
    }
}

}  // namespace

int run_tib_restore(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("archive", po::value<std::string>()->required(), "the TIB archive (ARCHIVE.tib[@GENERATION])")(
        "target", po::value<std::string>()->required(), "partition, block device or file to write")(
        "volume", po::value<std::uint32_t>(), "the volume to restore (default: the only one)")(
        "disk", "restore a whole disk: layout fitted to the target, first track, every volume")(
        "verify", "read the restored blocks back and compare them with the archive")(
        "no-grow-fs", "--disk: leave each NTFS at its old size in a larger partition (default: grow it with ntfsresize)")(
        "onto-generation", po::value<unsigned>(), "the target holds generation N of this chain already: write only the blocks that differ, "
                                                   "after proving it holds N where they go")(
        "dry-run", "with --onto-generation: print what would be written, write nothing")(
        "threads", po::value<unsigned>()->default_value(2), "decompression threads")(
        "checkpoint", po::value<std::string>(), "where to record progress so an interrupted restore resumes "
                                                "(default: TARGET.dagda-checkpoint, or /run/dagda/ for a device)")(
        "checkpoint-every", po::value<std::uint64_t>()->default_value(64), "record progress every N windows (the archive's, 4 MiB unless captured with another --window)")(
        "progress", po::value<std::string>()->default_value("text"), "progress on stderr: text, json or none")(
        "json", "print the result as JSON");
    add_generation_option(options);
    add_archive_urls_option(options);
    add_identity_options(options);
    po::positional_options_description positional;
    positional.add("archive", 1).add("target", 1);
    const auto vm = parse_args(args, {"tib", "restore"}, options, positional);
    if (!vm) return 0;
    if (vm->count("disk") && vm->count("volume")) throw po::error("--volume and --disk exclude each other");
    RestoreJob job;
    job.archive = generation_file(parse_archive_argument((*vm)["archive"].as<std::string>(), false), *vm);
    job.target = (*vm)["target"].as<std::string>();
    job.threads = (*vm)["threads"].as<unsigned>();
    job.verify = vm->count("verify") > 0;
    job.grow_fs = vm->count("no-grow-fs") == 0;
    job.progress = parse_progress_mode((*vm)["progress"].as<std::string>());
    job.expected = identity_assertions(*vm);
    const bool as_json = vm->count("json") > 0;
    job.checkpoint = std::make_unique<RestoreCheckpointFile>(
        vm->count("checkpoint") ? (*vm)["checkpoint"].as<std::string>() : default_checkpoint_path(job.target), job.target,
        (*vm)["checkpoint-every"].as<std::uint64_t>());

    image::ArchiveChain chain(job.archive, archive_urls_trust(archive_urls(*vm)));
    const bool dry_run = vm->count("dry-run") > 0;
    if (dry_run && !vm->count("onto-generation")) throw po::error("--dry-run goes with --onto-generation (a full restore prints its plan as it runs)");
    if (vm->count("onto-generation")) {
        const std::optional<std::uint32_t> volume = vm->count("disk") ? std::nullopt : std::optional(pick_volume(chain.newest(), *vm));
        restore_delta(chain, job, (*vm)["onto-generation"].as<unsigned>(), volume, dry_run, as_json);
        if (dry_run) return 0;
    } else if (vm->count("disk")) {
        restore_disk(chain, job, as_json);
    } else {
        restore_one_volume(chain, pick_volume(chain.newest(), *vm), job);
    }
    job.checkpoint->remove();
    if (as_json)
        std::cout << json{{"archive", job.archive}, {"target", job.target}, {"generation", chain.newest().id()},
                          {"verified", job.verify}, {"result", "done"}}.dump(2) << "\n";
    else
        std::cout << "Done: " << job.target << " holds generation " << chain.newest().id() << (job.verify ? ", verified" : "")
                  << ".\n";
    return 0;
}

}  // namespace dagda::app
