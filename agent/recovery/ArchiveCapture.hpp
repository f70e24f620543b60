#pragma once
/// A backup: a whole disk (layout, first track, every partition) or one volume captured into a
/// new TIB generation, full or incremental on a chain, into a file or the controller's upload URL.
/// Shared by `dagda tib capture` and the plan step image.capture.

#include "image/capture/VolumeCapture.hpp"
#include "image/sink/ArchiveSink.hpp"
#include "image/source/HttpsTrust.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dagda::recovery {

struct CaptureRequest {
    std::string source;       ///< the disk or volume read (a block device or an image file)
    bool whole_disk = false;  ///< a disk generation (layout, track, partitions), else one volume
    std::string output;       ///< a path, or an upload URL of the controller
    std::string base;         ///< for an incremental: the chain's newest generation (path or URL); "" for a full
    image::CaptureOptions options;
    bool window_given = false;  ///< options.window_size was asked for; otherwise an incremental takes its base's
    nlohmann::json machine = nlohmann::json::object();  ///< the source machine's profile (cpus, memory_mib), if known
    std::string tool = "dagda";  ///< the GENR record's "tool": the build that wrote it
    image::HttpsTrust trust;    ///< for https output and base
    image::UploadOptions upload;
    /// Each volume as it starts (its name), then its bytes read so far.
    std::function<void(const std::string& volume)> volume_started;
    image::ByteProgress progress;
    /// A volume whose filesystem could not be read is still captured, every non-zero block of it.
    std::function<void(const std::string& warning)> warn;
};

struct CaptureResult {
    std::string archive;
    std::string generation;  ///< its id (hex)
    std::string digest;      ///< its generation digest (hex)
    std::uint64_t archive_bytes = 0;
    std::vector<image::VolumeIndex> volumes;
};

/// This machine's CPUs and memory (MiB), as a new VM of the same size would have them.
nlohmann::json this_machine_profile();

/// Captures `request.source` into `request.output`. An output file that exists is refused (a
/// backup is never overwritten); throws Error naming what failed, with nothing left under the
/// archive's name.
CaptureResult capture_archive(const CaptureRequest& request);

}  // namespace dagda::recovery
