#pragma once
/// The console's job screen: each step with its state, a progress bar with speed and time left, the
/// last lines the steps reported; `c` cancels, `l` shows the whole log. At the end: back to the
/// menu, reboot or power off. Fits 80×24.

#include "app/ConsoleTerminal.hpp"
#include "app/PlanSession.hpp"

namespace dagda::app {

/// Runs the session's plan with a journal, showing it; returns the result once the operator
/// has read the summary.
/// The journal goes to `journal_folder` (a USB stick, so a reboot can resume; "" is the run folder).
jobs::JobResult run_on_console(ConsoleTerminal& terminal, const PlanSession& session, const std::string& journal_folder);

}  // namespace dagda::app
