#include "app/PlanSession.hpp"

#include "core/Crc32.hpp"
#include "core/Error.hpp"
#include "inventory/StorageControllers.hpp"
#include "jobs/JobLock.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace dagda::app {

namespace {

/// A command from the environment ("systemctl reboot"), or `fallback`: the live image's init sets
/// these; tests point them at a harmless program.
std::vector<std::string> command_from(const char* variable, std::vector<std::string> fallback) {
    const char* value = std::getenv(variable);
    if (!value || !*value) return fallback;
    std::vector<std::string> words;
    std::istringstream in(value);
    for (std::string word; in >> word;) words.push_back(word);
    return words.empty() ? fallback : words;
}

}  // namespace

std::string default_run_folder() {
    const char* folder = std::getenv("DAGDA_RUN_DIR");
    return folder && *folder ? folder : "/run/dagda";
}

std::string read_plan_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw Error(ErrorKind::failed, "cannot read the plan " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

PlanSession::PlanSession(const std::string& text, const std::string& name, image::HttpsTrust https_trust)
    : plan_(jobs::parse_plan(text, name, problems_)) {
    environment_.https_trust = std::move(https_trust);
    environment_.disks = std::make_unique<steps::PlanDisks>(plan_.disks, problems_);
    environment_.storage_controllers = [] {
        std::vector<std::vector<std::string>> ids;
        for (const auto& controller : inventory::storage_controllers()) ids.push_back(controller.ids);
        return ids;
    };
    environment_.reboot_command = command_from("DAGDA_REBOOT_COMMAND", {"reboot"});
    environment_.poweroff_command = command_from("DAGDA_POWEROFF_COMMAND", {"poweroff"});
    if (const char* file = std::getenv("DAGDA_BOOT_ID_FILE"); file && *file) environment_.boot_id_file = file;
    registry_ = steps::recovery_steps(environment_);
}

std::vector<std::string> PlanSession::problems(const jobs::JobRunner& runner) const {
    std::vector<std::string> all = problems_;
    if (!plan_.steps.empty()) {
        const auto more = runner.validate(plan_);
        all.insert(all.end(), more.begin(), more.end());
    }
    return all;
}

void PlanSession::require_valid(const jobs::JobRunner& runner) const {
    const auto all = problems(runner);
    if (all.empty()) return;
    std::string text = "the plan cannot run (nothing was written):";
    for (const std::string& problem : all) text += "\n  - " + problem;
    throw Error(ErrorKind::refused, text);
}

std::string PlanSession::default_journal(const std::string& folder) const {
    const std::string document = plan_.document.dump();
    const std::uint32_t crc = crc32(document.data(), document.size());
    char name[64];
    std::snprintf(name, sizeof name, "/journal-%08lx.dagda", static_cast<unsigned long>(crc));
    return (folder.empty() ? default_run_folder() : folder) + name;
}

}  // namespace dagda::app
