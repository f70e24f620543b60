#pragma once
/// What `dagda tib restore` was asked to do, shared by its full restore (TibRestoreCommand.cpp)
/// and its delta restore onto an older generation (TibDeltaRestore.cpp).

#include "app/Progress.hpp"
#include "app/RestoreCheckpointFile.hpp"
#include "disk/Safety.hpp"
#include "image/ArchiveChain.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace dagda::app {

struct RestoreJob {
    std::string archive;
    std::string target;
    unsigned threads = 2;
    bool verify = false;
    bool grow_fs = true;  ///< --disk: grow each NTFS to fill a larger partition
    ProgressMode progress = ProgressMode::text;
    disk::IdentityAssertions expected;
    std::unique_ptr<RestoreCheckpointFile> checkpoint;
};

/// Restores volume `number` onto `range` (resuming from the job's checkpoint), then, with
/// --verify, reads it back against the archive.
void restore_range(const image::Chain& chain, std::uint32_t number, const image::VolumeRange& range, const RestoreJob& job);

/// --onto-generation: the target holds generation `held` of the chain (1 = the full backup); only
/// the blocks that differ are written, after the target was proven to hold it where they go.
/// `volume`: one volume (a partition, device or file); nullopt: the whole disk (--disk).
/// `dry_run`: print the plan and write nothing.
void restore_delta(image::ArchiveChain& chain, RestoreJob& job, unsigned held, std::optional<std::uint32_t> volume, bool dry_run,
                   bool as_json);

}  // namespace dagda::app
