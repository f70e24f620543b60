#include "app/JobReport.hpp"

#include "core/Units.hpp"

#include <cstdio>
#include <ostream>

namespace dagda::app {

using jobs::JobEvent;

JobReport::JobReport(Style style, std::ostream& out, std::size_t steps)
    : style_(style), out_(out), steps_(steps), start_(std::chrono::steady_clock::now()) {}

void JobReport::progress_line(const JobEvent& event) {
    const bool bytes = event.total > 65536;
    const double fraction = event.total ? static_cast<double>(event.done) / static_cast<double>(event.total) : 0;
    std::string bar(20, '.');
    for (std::size_t i = 0; i < static_cast<std::size_t>(fraction * 20) && i < 20; ++i) bar[i] = '#';
    char line[200];
    // The time left at the step's own average rate (the agent measures it since the step began).
    const double eta = event.rate > 0 && event.done < event.total ? static_cast<double>(event.total - event.done) / event.rate : 0;
    if (bytes)
        std::snprintf(line, sizeof line, "\r    [%s] %3.0f%% %s of %s, %.1f MB/s, ETA %.0f s ", bar.c_str(), fraction * 100,
                      human_bytes(event.done).c_str(), human_bytes(event.total).c_str(), event.rate / 1e6, eta);
    else
        std::snprintf(line, sizeof line, "\r    [%s] %llu of %llu ", bar.c_str(), static_cast<unsigned long long>(event.done),
                      static_cast<unsigned long long>(event.total));
    out_ << line << std::flush;
    line_open_ = true;
}

void JobReport::on_event(const JobEvent& event) {
    if (style_ == Style::none) return;
    if (style_ == Style::json) {
        out_ << event.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n" << std::flush;
        return;
    }
    if (line_open_ && event.kind != JobEvent::Kind::step_progress) {
        out_ << "\n";
        line_open_ = false;
    }
    const std::string position = std::to_string(event.step + 1) + "/" + std::to_string(steps_) + " " + event.name;
    switch (event.kind) {
        case JobEvent::Kind::job_started:
            // With a text: a journal found on a disk that does not hold its job, and why.
            out_ << "Running " << (event.name.empty() ? "the plan" : event.name)
                 << (event.text.empty() ? "" : " again from the start: " + event.text) << "\n";
            break;
        case JobEvent::Kind::job_resumed: out_ << "Resuming " << (event.name.empty() ? "the plan" : event.name) << ": " << event.text << "\n"; break;
        case JobEvent::Kind::step_started: out_ << "==> " << position << "\n"; break;
        case JobEvent::Kind::step_progress:
            if (event.total) progress_line(event);
            break;
        case JobEvent::Kind::step_said: out_ << "    " << event.text << "\n"; break;
        case JobEvent::Kind::step_skipped: out_ << "==> " << position << ": already done\n"; break;
        case JobEvent::Kind::step_finished: {
            char took[32];
            std::snprintf(took, sizeof took, "%.1f s", event.seconds);
            out_ << "    done in " << took << "\n";
            break;
        }
        case JobEvent::Kind::step_failed: out_ << "    FAILED: " << event.text << "\n"; break;
        case JobEvent::Kind::job_finished:
            if (!event.text.empty()) out_ << event.text << ": nothing to do.\n";
            break;
    }
    out_ << std::flush;
}

void JobReport::summary(const jobs::JobResult& result) const {
    if (style_ == Style::json) {
        nlohmann::json out{{"event", "summary"}, {"succeeded", result.succeeded}};
        if (result.failure) out["error"] = result.failure->to_json();
        for (const auto& t : result.timings) out["steps"].push_back({{"step", t.step + 1}, {"name", t.name}, {"seconds", t.seconds}, {"skipped", t.skipped}});
        out_ << out.dump() << "\n" << std::flush;
        return;
    }
    if (style_ == Style::none) return;
    out_ << "\nSummary:\n";
    for (const auto& t : result.timings) {
        char line[160];
        if (t.skipped) std::snprintf(line, sizeof line, "  %2zu. %-24s done in an earlier run\n", t.step + 1, t.name.c_str());
        else std::snprintf(line, sizeof line, "  %2zu. %-24s %.1f s\n", t.step + 1, t.name.c_str(), t.seconds);
        out_ << line;
    }
    const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    char took[64];
    std::snprintf(took, sizeof took, "%.1f s", total);
    if (result.succeeded) out_ << "Recovery finished in " << took << ".\n";
    else if (result.failure) out_ << "Stopped at step " << result.failure->step + 1 << " (" << result.failure->name << "): " << result.failure->message << "\n";
    out_ << std::flush;
}

}  // namespace dagda::app
