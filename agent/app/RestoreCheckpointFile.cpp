#include "app/RestoreCheckpointFile.hpp"

#include "core/Error.hpp"
#include "core/UniqueFd.hpp"
#include "disk/Target.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace dagda::app {

using nlohmann::json;

std::string default_checkpoint_path(const std::string& target) {
    if (std::filesystem::exists(target) && std::filesystem::is_block_file(target)) {
        std::filesystem::create_directories("/run/dagda");
        return "/run/dagda/restore-" + std::filesystem::path(target).filename().string() + ".checkpoint";
    }
    return target + ".dagda-checkpoint";
}

RestoreCheckpointFile::RestoreCheckpointFile(std::string path, std::string target, std::uint64_t every_windows)
    : path_(std::move(path)), target_(std::move(target)), every_windows_(std::max<std::uint64_t>(1, every_windows)) {
    std::ifstream in(path_);
    if (!in) return;
    try {
        std::ostringstream text;
        text << in.rdbuf();
        json loaded = json::parse(text.str());
        if (loaded.at("format") == "dagda-restore-checkpoint" && loaded.at("version") == 1 && loaded.at("target") == target_)
            state_ = std::move(loaded);
    } catch (const std::exception& e) {
        std::cerr << "dagda: warning: ignoring the unreadable checkpoint " << path_ << " (" << e.what() << ")\n";
    }
}

bool RestoreCheckpointFile::matches(const std::string& generation, std::uint64_t target_size) const {
    return state_.is_object() && state_["generation"] == generation && state_["target_size"] == target_size;
}

void RestoreCheckpointFile::start(const std::string& generation, std::uint64_t target_size) {
    state_ = {{"format", "dagda-restore-checkpoint"}, {"version", 1}, {"target", target_},
              {"target_size", target_size}, {"generation", generation}, {"volumes_done", json::array()},
              {"volume", nullptr}, {"next_window", 0}};
    save();
}

bool RestoreCheckpointFile::volume_done(std::uint32_t volume) const {
    if (!state_.is_object()) return false;
    for (const auto& done : state_["volumes_done"])
        if (done == volume) return true;
    return false;
}

image::RestoreCheckpoint RestoreCheckpointFile::for_volume(std::uint32_t volume) {
    image::RestoreCheckpoint checkpoint;
    checkpoint.every_windows = every_windows_;
    if (state_.is_object() && state_["volume"] == volume) checkpoint.start_window = state_["next_window"].get<std::uint64_t>();
    checkpoint.record = [this, volume](std::uint64_t next_window) {
        state_["volume"] = volume;
        state_["next_window"] = next_window;
        save();
    };
    return checkpoint;
}

void RestoreCheckpointFile::finish_volume(std::uint32_t volume) {
    state_["volumes_done"].push_back(volume);
    state_["volume"] = nullptr;
    state_["next_window"] = 0;
    save();
}

void RestoreCheckpointFile::remove() { std::remove(path_.c_str()); }

void RestoreCheckpointFile::save() {
    const std::string aside = path_ + ".new";
    const std::string text = state_.dump() + "\n";
    {
        const UniqueFd fd = UniqueFd::open(aside, O_WRONLY | O_CREAT | O_TRUNC);
        write_exact(fd.get(), text.data(), text.size(), 0, aside);
        if (::fsync(fd.get()) != 0) throw_errno("cannot flush " + aside);
    }
    if (std::rename(aside.c_str(), path_.c_str()) != 0) throw_errno("cannot rename " + aside + " to " + path_);
}

}  // namespace dagda::app
