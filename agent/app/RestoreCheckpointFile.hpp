#pragma once
/// The small file that lets an interrupted `tib restore` resume where its last flushed checkpoint
/// was instead of starting over: which generation goes onto which target, which volumes are done,
/// and below which window the current volume is known written. It is replaced atomically
/// (written aside, synced, renamed), so a crash leaves the old or the new state, never a torn one.

#include "image/restore/VolumeRestore.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace dagda::app {

/// TARGET.dagda-checkpoint for a file; /run/dagda/restore-<name>.checkpoint for a device.
std::string default_checkpoint_path(const std::string& target);

class RestoreCheckpointFile {
public:
    /// Loads `path` if it exists and is a checkpoint for `target`; an unreadable one is ignored
    /// with a warning (the restore then starts over, which is always correct).
    RestoreCheckpointFile(std::string path, std::string target, std::uint64_t every_windows);

    const std::string& path() const { return path_; }
    /// Whether the loaded checkpoint is for this generation and target size.
    bool matches(const std::string& generation, std::uint64_t target_size) const;
    /// Starts a fresh record for this generation (forgetting any other).
    void start(const std::string& generation, std::uint64_t target_size);

    bool volume_done(std::uint32_t volume) const;
    /// Where volume `volume` starts, and a callback recording its progress.
    image::RestoreCheckpoint for_volume(std::uint32_t volume);
    void finish_volume(std::uint32_t volume);
    /// Deletes the file once the restore is complete.
    void remove();

private:
    void save();

    std::string path_;
    std::string target_;
    std::uint64_t every_windows_;
    nlohmann::json state_;
};

}  // namespace dagda::app
