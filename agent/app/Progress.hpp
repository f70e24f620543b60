#pragma once
/// Progress of a long operation on stderr: a line that rewrites itself (bytes, MB/s, ETA), or one
/// JSON object per line for the agent (`--progress=json`).

#include <chrono>
#include <cstdint>
#include <string>

namespace dagda::app {

enum class ProgressMode { none, text, json };

/// Parses "text", "json" or "none"; throws boost::program_options::error otherwise.
ProgressMode parse_progress_mode(const std::string& text);

class ProgressPrinter {
public:
    ProgressPrinter(ProgressMode mode, std::string what);
    /// Reports `done` of `total` bytes; prints at most a few times a second, and always the end.
    void update(std::uint64_t done, std::uint64_t total);
    /// Ends the text line.
    void finish();

private:
    ProgressMode mode_;
    std::string what_;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_;
    bool printed_ = false;
};

}  // namespace dagda::app
