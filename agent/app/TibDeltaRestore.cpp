// dagda tib restore --onto-generation N: the newer generation written onto a volume or disk that
// holds generation N, as data first (each volume's windows and blocks to write), proven against
// the target (it holds N wherever a block goes), printed, then written.

#include "app/TibRestoreJob.hpp"
#include "core/Error.hpp"
#include "core/UniqueFd.hpp"
#include "disk/LayoutReader.hpp"
#include "disk/SfdiskJson.hpp"
#include "image/restore/DeltaRestore.hpp"

#include <fcntl.h>

#include <iostream>

namespace dagda::app {

namespace {

// Where each volume of the chain's newest generation lies on the target.
struct DeltaTarget {
    std::uint32_t number = 0;
    image::VolumeRange range;
};

std::string generation_name(const image::Chain& chain, std::size_t index) {
    return "generation " + std::to_string(chain.size() - index) + " (" + chain[index]->name() + ")";
}

// The partitions a disk archive's volumes go to, from the table on the target: the layout must not
// have changed between the two generations (a delta moves no partition), and each partition must
// be where the volume fits.
std::vector<DeltaTarget> disk_targets(const image::Chain& chain, std::size_t held, const disk::TargetInfo& target, int fd,
                                      const std::string& name) {
    image::TibArchive& newest = *chain.front();
    image::TibArchive& older = *chain[held];
    if (!newest.layout() || !older.layout() || !newest.first_track() || !older.first_track())
        throw Error(ErrorKind::failed, newest.name() + " holds a volume, not a disk; restore it without --disk");
    const disk::Layout now = disk::parse_layout_json(*newest.layout());
    const disk::Layout then = disk::parse_layout_json(*older.layout());
    const auto same = [](const disk::PartitionSpec& a, const disk::PartitionSpec& b) {
        return a.number == b.number && a.start == b.start && a.size == b.size && a.type == b.type;
    };
    if (now.label != then.label || now.partitions.size() != then.partitions.size() ||
        !std::equal(now.partitions.begin(), now.partitions.end(), then.partitions.begin(), same))
        throw Error(ErrorKind::refused, "refusing the delta restore: the source's partitions changed between " + generation_name(chain, held) +
                                            " and " + generation_name(chain, 0) + "; restore the newer generation in full (nothing was written)");
    if (*newest.first_track() != *older.first_track())
        throw Error(ErrorKind::refused, "refusing the delta restore: the source's first track (boot code, table or boot-loader gap) changed "
                                        "between " + generation_name(chain, held) + " and " + generation_name(chain, 0) +
                                            "; restore the newer generation in full (nothing was written)");
    const std::optional<disk::Layout> on_disk = disk::read_layout(target);
    if (!on_disk)
        throw Error(ErrorKind::refused, "refusing the delta restore onto " + name + ": it has no partition table, so it does not hold " +
                                            generation_name(chain, held) + " (nothing was written)");
    std::vector<DeltaTarget> targets;
    for (const auto& volume : newest.volumes()) {
        const auto part = std::find_if(on_disk->partitions.begin(), on_disk->partitions.end(),
                                       [&](const auto& p) { return p.number == volume.number; });
        const std::uint64_t ss = on_disk->sector_size;
        if (part == on_disk->partitions.end() || part->size * ss < volume.volume_size)
            throw Error(ErrorKind::refused, "refusing the delta restore onto " + name + ": it has no partition " + std::to_string(volume.number) +
                                                " of at least " + std::to_string(volume.volume_size) + " bytes for volume " +
                                                std::to_string(volume.number) + " (nothing was written)");
        targets.push_back({volume.number, {fd, part->start * ss, part->size * ss, name + " partition " + std::to_string(volume.number)}});
    }
    return targets;
}

}  // namespace

void restore_delta(image::ArchiveChain& chain, RestoreJob& job, unsigned held, std::optional<std::uint32_t> volume, bool dry_run,
                   bool as_json) {
    const image::Chain& generations = chain.chain();
    if (held == 0 || held >= generations.size())
        throw Error(ErrorKind::usage, "--onto-generation " + std::to_string(held) + ": the target must hold an older generation of the chain of " +
                                          chain.newest().name() + ", 1 to " + std::to_string(generations.size() - 1));
    const std::size_t held_index = generations.size() - held;
    const disk::TargetInfo target = disk::probe_target(job.target);
    if (!dry_run) disk::check_target_safe(target, job.expected);  // a dry run only reads
    // Keyed apart from a full restore's: a full restore's checkpoint proves nothing of what the
    // target held, so a delta never resumes from one (nor a full restore from a delta's).
    const std::string key = chain.newest().id() + " onto " + generations[held_index]->id();
    const bool resuming = job.checkpoint->matches(key, target.size_bytes);
    const UniqueFd claim = dry_run ? UniqueFd() : disk::hold_exclusive(target);
    const UniqueFd fd = UniqueFd::open(job.target, dry_run ? O_RDONLY : O_RDWR);

    std::vector<DeltaTarget> targets;
    if (volume) targets.push_back({*volume, {fd.get(), 0, target.size_bytes, job.target}});
    else targets = disk_targets(generations, held_index, target, fd.get(), job.target);

    std::vector<image::VolumeDelta> deltas;
    for (const DeltaTarget& t : targets) {
        deltas.push_back(image::plan_volume_delta(generations, t.number, held_index));
        // Proven once, before the first write: a resumed delta's target is half written by design.
        if (resuming || job.checkpoint->volume_done(t.number)) continue;
        ProgressPrinter printer(job.progress, "check " + t.range.name + " holds generation " + std::to_string(held));
        image::check_delta_target(generations, held_index, deltas.back(), t.range, job.threads,
                                  [&](std::uint64_t done, std::uint64_t total) { printer.update(done, total); });
        printer.finish();
    }
    if (!as_json || dry_run) {
        std::ostream& out = as_json ? std::cerr : std::cout;
        out << (dry_run ? "Would write" : "Writing") << " " << generation_name(generations, 0) << " onto " << job.target << ", which holds "
            << generation_name(generations, held_index) << (resuming ? " (resuming)" : "") << ":\n";
        for (const auto& delta : deltas) out << "  " << image::delta_line(delta) << "\n";
    }
    if (dry_run) return;
    if (!resuming) job.checkpoint->start(key, target.size_bytes);

    for (std::size_t i = 0; i < targets.size(); ++i) {
        const std::uint32_t number = targets[i].number;
        if (job.checkpoint->volume_done(number)) continue;
        ProgressPrinter printer(job.progress, "write the changes of volume " + std::to_string(number) + " to " + targets[i].range.name);
        image::RestoreCheckpoint resume = job.checkpoint->for_volume(number);
        image::restore_windows(generations, number, deltas[i].writes, targets[i].range, job.threads,
                               [&](std::uint64_t done, std::uint64_t total) { printer.update(done, total); }, &resume);
        printer.finish();
        if (job.verify) {
            ProgressPrinter checker(job.progress, "verify " + targets[i].range.name);
            image::verify_restored(generations, number, targets[i].range,
                                   [&](std::uint64_t done, std::uint64_t total) { checker.update(done, total); });
            checker.finish();
        }
        job.checkpoint->finish_volume(number);
    }
}

}  // namespace dagda::app
