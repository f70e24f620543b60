#include "app/ConsoleRun.hpp"

#include "core/Subprocess.hpp"
#include "core/Units.hpp"
#include "jobs/JobLock.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>

namespace dagda::app {

namespace {

constexpr std::size_t width = 79;
constexpr std::size_t log_lines = 6;

std::string fit(std::string line) {
    if (line.size() > width) line = line.substr(0, width - 3) + "...";
    return line;
}

/// "1:05" or "1:02:05".
std::string clock_text(double seconds) {
    const auto total = static_cast<unsigned long>(seconds + 0.5);
    char text[32];
    if (total >= 3600) std::snprintf(text, sizeof text, "%lu:%02lu:%02lu", total / 3600, total / 60 % 60, total % 60);
    else std::snprintf(text, sizeof text, "%lu:%02lu", total / 60, total % 60);
    return text;
}

/// The bar with the share done, bytes, the step's average speed and the time left at that speed,
/// then the step's current action: two lines of at most 79 columns. A step that counts things
/// (actions, files, hive values: a total this small is never bytes) shows "3 of 12" and no MB/s.
std::string progress_lines(const jobs::JobEvent& progress) {
    const bool bytes = progress.total > 65536;
    const double fraction = static_cast<double>(progress.done) / static_cast<double>(progress.total);
    std::string bar(24, '.');
    for (std::size_t i = 0; i < static_cast<std::size_t>(fraction * 24) && i < 24; ++i) bar[i] = '#';
    std::string line = "\n [" + bar + "] ";
    char percent[16];
    std::snprintf(percent, sizeof percent, "%3.0f%%", fraction * 100);
    line += percent;
    if (bytes) line += "  " + human_bytes(progress.done) + " of " + human_bytes(progress.total);
    else line += "  " + std::to_string(progress.done) + " of " + std::to_string(progress.total);
    if (progress.rate > 0) {
        char speed[32];
        std::snprintf(speed, sizeof speed, "  %.1f MB/s", progress.rate / 1e6);
        if (bytes) line += speed;
        if (progress.done < progress.total)
            line += "  ETA " + clock_text(static_cast<double>(progress.total - progress.done) / progress.rate);
    }
    return fit(line) + "\n " + fit(progress.text) + "\n";
}

/// What the screen shows, filled from job events (the runner's thread) and drawn by the console's.
struct JobView {
    std::mutex mutex;
    std::vector<std::string> names, states;
    jobs::JobEvent progress;
    std::deque<std::string> log;

    void on_event(const jobs::JobEvent& e) {
        const std::lock_guard<std::mutex> lock(mutex);
        using Kind = jobs::JobEvent::Kind;
        if (e.kind == Kind::step_progress) progress = e;
        if (e.step < states.size()) {
            if (e.kind == Kind::step_started) {
                states[e.step] = "running";
                progress = {};  // the bar is the running step's, not the last one's
            }
            if (e.kind == Kind::step_skipped) states[e.step] = "done earlier";
            if (e.kind == Kind::step_finished) states[e.step] = "done";
            if (e.kind == Kind::step_failed) states[e.step] = "FAILED";
        }
        if (e.kind == Kind::step_said || e.kind == Kind::step_failed) log.push_back(e.name + ": " + e.text);
        if (e.kind == Kind::job_started && !e.text.empty()) log.push_back("again from the start: " + e.text);  // the journal's disk is gone
        if (log.size() > 500) log.pop_front();
    }

    std::string draw(bool whole_log) {
        const std::lock_guard<std::mutex> lock(mutex);
        std::string out = "Dagda Rescue - recovery running    (c: cancel   l: log)\n\n";
        if (whole_log) {
            const std::size_t shown = std::min<std::size_t>(log.size(), 20);
            for (std::size_t i = log.size() - shown; i < log.size(); ++i) out += fit(log[i]) + "\n";
            return out;
        }
        for (std::size_t i = 0; i < names.size(); ++i) {
            char line[120];
            std::snprintf(line, sizeof line, " %2zu. %-24s %s", i + 1, names[i].c_str(), states[i].c_str());
            out += fit(line) + "\n";
        }
        if (progress.total) out += progress_lines(progress);
        out += "\n";
        const std::size_t shown = std::min(log.size(), log_lines);
        for (std::size_t i = log.size() - shown; i < log.size(); ++i) out += fit(" " + log[i]) + "\n";
        return out;
    }
};

std::atomic<bool>* interrupt_target = nullptr;

extern "C" void cancel_on_interrupt(int) {
    if (interrupt_target) interrupt_target->store(true);
}

}  // namespace

jobs::JobResult run_on_console(ConsoleTerminal& terminal, const PlanSession& session, const std::string& journal_folder) {
    JobView view;
    for (const jobs::PlanStep& step : session.plan().steps) {
        view.names.push_back(step.name);
        view.states.push_back("waiting");
    }
    std::atomic<bool> cancel{false};
    jobs::JobRunner runner(session.registry(), [&](const jobs::JobEvent& e) { view.on_event(e); }, &cancel);
    const jobs::JobLock lock(default_run_folder());
    jobs::Journal journal(session.default_journal(journal_folder));
    // Ctrl-C cancels the job like `c` does, and the terminal gets its settings back.
    interrupt_target = &cancel;
    struct sigaction action {}, previous {};
    action.sa_handler = cancel_on_interrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous);
    jobs::JobResult result;
    std::atomic<bool> done{false};
    std::string thrown;
    std::thread worker([&] {
        try {
            result = runner.run(session.plan(), journal);
        } catch (const std::exception& e) {  // the journal of another plan, or the journal failing
            thrown = e.what();
        }
        done = true;
    });
    terminal.keys(true);
    bool whole_log = false;
    while (!done) {
        terminal.clear();
        terminal.print(view.draw(whole_log));
        if (const auto key = terminal.key(300)) {
            if (*key == 'c' || *key == 'C') cancel = true;
            if (*key == 'l' || *key == 'L') whole_log = !whole_log;
        }
    }
    worker.join();
    sigaction(SIGINT, &previous, nullptr);
    interrupt_target = nullptr;
    terminal.keys(false);
    terminal.clear();
    terminal.print(view.draw(false));
    if (!thrown.empty()) terminal.print("\nThe job stopped: " + fit(thrown) + "\n");
    else if (result.succeeded) terminal.print("\nRecovery finished.\n");
    else if (result.failure)
        terminal.print("\nStopped at step " + std::to_string(result.failure->step + 1) + " (" + result.failure->name + "): " +
                       fit(result.failure->message) + "\nRun it again from the menu to resume.\n");
    // The last choice: back to the menu, or restart or power off the machine from here (the
    // commands machine.reboot and machine.poweroff run, so the live image's helpers).
    while (true) {
        const auto answer = terminal.ask("Enter: menu   r: reboot   p: power off   l: the whole log ");
        if (!answer || answer->empty()) break;
        if (*answer == "l" || *answer == "L") {
            terminal.clear();
            terminal.print(view.draw(true));
        }
        if (*answer == "r" || *answer == "R" || *answer == "p" || *answer == "P") {
            const bool reboot = *answer == "r" || *answer == "R";
            const std::vector<std::string>& command = reboot ? session.reboot_command() : session.poweroff_command();
            const ProgramResult power = run_program(command);
            if (power.exit_code == 0) terminal.print(reboot ? "Reboot requested.\n" : "Power off requested.\n");
            else terminal.print(fit(command.front() + " failed (exit " + std::to_string(power.exit_code) + "): " + power.err) + "\n");
        }
    }
    return result;
}

}  // namespace dagda::app
