#include "app/PlanSession.hpp"

#include "core/Crc32.hpp"
#include "core/Error.hpp"
#include "disk/LayoutReader.hpp"
#include "inventory/StorageControllers.hpp"
#include "jobs/JobLock.hpp"

#include <cstdio>
#include <filesystem>
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
    for (const std::string& url : plan_.archive_urls) environment_.https_trust.add_signed_url(url);
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

/// The undo journal of a plan's one disk, with the regions every writer that does not ask
/// guard_write() may touch saved up front: the first and last MiB of the disk (boot code, first
/// track, both GPT copies) and a MiB on each side of every partition's start and end (dos
/// extended boot records, NTFS boot sectors and their backups), in the table the disk has now and
/// the one the plan writes.
std::unique_ptr<UndoJournal> start_undo_journal(const std::string& path, const PlanSession& session) {
    if (path.empty()) return nullptr;
    if (session.plan().disks.size() != 1) throw Error(ErrorKind::usage, "an undo journal goes with a plan of one disk");
    const std::string name = session.plan().disks.begin().key();
    const disk::TargetInfo& target = session.disk(name).target;
    std::error_code exists;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), exists);  // a journal file's folder (a device's exists)
    auto undo = std::make_unique<UndoJournal>(path, target.path);
    constexpr std::uint64_t mib = 1u << 20;
    undo->save_region(0, mib);
    undo->save_region(target.size_bytes > mib ? target.size_bytes - mib : 0, mib);
    std::vector<disk::Layout> layouts;
    if (const auto now = disk::read_layout(target)) layouts.push_back(*now);
    if (const auto planned = session.planned_layouts().find(name); planned != session.planned_layouts().end()) layouts.push_back(planned->second);
    for (const disk::Layout& layout : layouts)
        for (const disk::PartitionSpec& part : layout.partitions)
            for (const std::uint64_t edge : {part.start * layout.sector_size, part.end() * layout.sector_size})
                undo->save_region(edge > mib ? edge - mib : 0, 2 * mib);
    set_undo_journal(undo.get());
    return undo;
}

}  // namespace dagda::app
