// dagda run: a recovery plan at the machine. Validates the whole plan, prints every action with
// the disks it writes (model, serial, size), asks before writing, runs with a journal that lets a
// rerun resume, and ends with a summary.

#include "app/Commands.hpp"
#include "app/JobReport.hpp"
#include "app/PlanSession.hpp"
#include "core/UndoJournal.hpp"
#include "disk/LayoutReader.hpp"
#include "core/Error.hpp"
#include "jobs/JobLock.hpp"
#include "steps/Steps.hpp"

#include <unistd.h>

#include <csignal>
#include <iostream>

namespace dagda::app {

namespace po = boost::program_options;

namespace {

std::atomic<bool> cancel_requested{false};

extern "C" void request_cancel(int) { cancel_requested = true; }

/// Ctrl-C and SIGTERM cancel the job between or inside steps; a second one is not needed.
void install_cancel_handlers() {
    struct sigaction action {};
    action.sa_handler = request_cancel;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

const char* resume_text(jobs::Resume resume) {
    switch (resume) {
        case jobs::Resume::rerun: return "runs again from the start";
        case jobs::Resume::checkpoint: return "continues from its journal checkpoint";
        case jobs::Resume::rebuild: return "redone from a fresh restore of its disk";
    }
    return "?";
}

/// `dagda run --list-steps`: every step with its arguments, from the registry itself.
void list_steps() {
    steps::StepEnvironment environment;
    const jobs::StepRegistry registry = steps::recovery_steps(environment);
    for (const std::string& name : registry.names()) {
        const jobs::StepSpec& spec = *registry.find(name);
        std::cout << name << ": " << spec.summary << "\n  interrupted: " << resume_text(spec.resume) << "\n";
        for (const jobs::ArgumentSpec& argument : spec.arguments)
            std::cout << "  " << argument.name << " (" << argument.kind << (argument.required ? ", required" : "") << "): " << argument.meaning
                      << "\n";
    }
}

bool confirmed_by_operator() {
    if (!::isatty(STDIN_FILENO)) return false;
    std::cout << "Type yes to run this plan and overwrite the disks above: " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    return answer == "yes";
}

}  // namespace

int run_run(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("plan", po::value<std::string>(), "the plan (JSON, docs/plan.md)")(
        "list-steps", "list the steps a plan may use, with their arguments, and stop")(
        "dry-run", "validate and print the plan's actions; nothing is written")("yes", "do not ask before writing")(
        "journal", po::value<std::string>(), "the job journal (default: one per plan in $DAGDA_RUN_DIR or /run/dagda)")(
        "undo-journal", po::value<std::string>(), "save what each write overwrites here first, so `dagda undo` can put the disk back "
                                                  "(a plan of one disk)")(
        "progress", po::value<std::string>()->default_value("text"), "text, json (one event per line) or none");
    po::positional_options_description positional;
    positional.add("plan", 1);
    const auto vm = parse_args(args, {"run"}, options, positional);
    if (!vm) return 0;
    if (vm->count("list-steps")) {
        list_steps();
        return 0;
    }
    if (!vm->count("plan")) throw po::error("name the plan: dagda run PLAN.json");
    const std::string mode = (*vm)["progress"].as<std::string>();
    if (mode != "text" && mode != "json" && mode != "none") throw po::error("--progress must be text, json or none");
    const JobReport::Style style = mode == "json" ? JobReport::Style::json : mode == "none" ? JobReport::Style::none : JobReport::Style::text;

    PlanSession session(read_plan_file((*vm)["plan"].as<std::string>()), (*vm)["plan"].as<std::string>(),
                        image::HttpsTrust{});  // no controller here: https archives by the system's CAs
    JobReport report(style, std::cout, session.plan().steps.size());
    jobs::JobRunner runner(session.registry(), [&](const jobs::JobEvent& event) { report.on_event(event); }, &cancel_requested);
    session.require_valid(runner);
    if (style == JobReport::Style::text) {
        std::cout << "Plan " << (session.plan().name.empty() ? (*vm)["plan"].as<std::string>() : session.plan().name) << ":\n";
        for (const std::string& line : runner.describe(session.plan())) std::cout << "  " << line << "\n";
    }
    if (vm->count("dry-run")) {
        if (style == JobReport::Style::text) std::cout << "Dry run: nothing was written.\n";
        return 0;
    }
    if (!vm->count("yes") && !confirmed_by_operator())
        throw Error(ErrorKind::refused, "the plan was not confirmed (answer yes, or give --yes) (nothing was written)");

    const jobs::JobLock lock(default_run_folder());
    const std::string journal_path = vm->count("journal") ? (*vm)["journal"].as<std::string>() : session.default_journal();
    jobs::Journal journal(journal_path);
    // The option, else the plan's own "undo_journal".
    std::unique_ptr<UndoJournal> undo =
        start_undo_journal(vm->count("undo-journal") ? (*vm)["undo-journal"].as<std::string>() : session.plan().undo_journal, session);
    install_cancel_handlers();
    const jobs::JobResult result = runner.run(session.plan(), journal);
    report.summary(result);
    if (!result.failure) return 0;
    // Without a report a failure would end in silence: its reason goes to stderr, as any error's.
    if (style == JobReport::Style::none)
        std::cerr << "dagda run: stopped at step " << result.failure->step + 1 << " (" << result.failure->name << "): " << result.failure->message << "\n";
    if (result.failure->kind == "cancelled") return exit_code(ErrorKind::cancelled);
    if (result.failure->kind == "refused") return exit_code(ErrorKind::refused);
    if (result.failure->kind == "usage") return exit_code(ErrorKind::usage);
    return exit_code(ErrorKind::failed);
}

}  // namespace dagda::app
