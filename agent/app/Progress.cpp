#include "app/Progress.hpp"

#include "core/Units.hpp"

#include <boost/program_options/errors.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

namespace dagda::app {

ProgressMode parse_progress_mode(const std::string& text) {
    if (text == "text") return ProgressMode::text;
    if (text == "json") return ProgressMode::json;
    if (text == "none") return ProgressMode::none;
    throw boost::program_options::error("--progress must be text, json or none");
}

ProgressPrinter::ProgressPrinter(ProgressMode mode, std::string what)
    : mode_(mode), what_(std::move(what)), start_(std::chrono::steady_clock::now()), last_(start_) {}

void ProgressPrinter::update(std::uint64_t done, std::uint64_t total) {
    const auto now = std::chrono::steady_clock::now();
    if (mode_ == ProgressMode::none || (done < total && now - last_ < std::chrono::milliseconds(500))) return;
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
    const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
    if (mode_ == ProgressMode::json) {
        std::cerr << nlohmann::json{{"event", "progress"}, {"what", what_},   {"bytes_done", done},
                                    {"bytes_total", total}, {"rate_bytes_per_second", static_cast<std::uint64_t>(rate)},
                                    {"eta_seconds", static_cast<std::uint64_t>(eta)}}.dump()
                  << "\n";
        return;
    }
    char line[160];
    std::snprintf(line, sizeof line, "\r%s: %s of %s, %.1f MB/s, ETA %.0f s   ", what_.c_str(), human_bytes(done).c_str(),
                  human_bytes(total).c_str(), rate / 1e6, eta);
    std::cerr << line << std::flush;
    printed_ = true;
}

void ProgressPrinter::finish() {
    if (printed_) std::cerr << "\n";
    printed_ = false;
}

}  // namespace dagda::app
