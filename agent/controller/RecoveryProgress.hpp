#pragma once
/// A recovery step's progress as recovery events (docs/api.md, "Recovery events"): what a
/// `dagda run --progress json` on the controller (direct mode) or the helper VM's agent reports
/// about its own steps, relayed as `step_progress` of the recovery's step. At most one a second:
/// each is a row in the database and a redraw of every page that follows the recovery; and the
/// last of each phase (done == total) always, so a short step still shows its end.

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <string>

namespace dagda::controller {

class RecoveryProgress {
public:
    using Emit = std::function<void(nlohmann::json event)>;
    /// `step`: the recovery's step ("direct.restore"); `source`: who reports ("disk 1", "helper").
    RecoveryProgress(std::string step, std::string source, Emit emit);

    /// One event of the program's or the agent's job, in JobEvent's JSON form; anything else
    /// (a summary line, a malformed event) is passed over.
    void on_job_event(const nlohmann::json& event);
    /// One line of `dagda run --progress json` (ProgramBounds::on_line): never throws.
    void on_line(const std::string& line) noexcept;

    /// The text of the last step_failed seen ("" when none): why the program's job stopped.
    const std::string& failure() const noexcept { return failure_; }

private:
    std::string step_, source_;
    Emit emit_;
    std::chrono::steady_clock::time_point last_{};
    std::string failure_;
};

}  // namespace dagda::controller
