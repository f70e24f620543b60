#pragma once
/// How `dagda run` shows a job: a heading and a progress bar per step and the lines each step
/// reports (text), or one JSON object per event (json, for the controller and the tests); then a
/// summary with the time each step took.

#include "jobs/JobRunner.hpp"

#include <chrono>
#include <iosfwd>
#include <string>

namespace dagda::app {

class JobReport {
public:
    enum class Style { text, json, none };
    JobReport(Style style, std::ostream& out, std::size_t steps);
    void on_event(const jobs::JobEvent& event);
    /// "Done in 12.3 s" or "Failed at step 3 (…): message", with each step's time.
    void summary(const jobs::JobResult& result) const;

private:
    void progress_line(const jobs::JobEvent& event);

    Style style_;
    std::ostream& out_;
    std::size_t steps_;
    bool line_open_ = false;
    std::chrono::steady_clock::time_point start_;
};

}  // namespace dagda::app
