// dagda console: the field engineer's text console on the first console or a serial line
// (80×24, VT100). It shows the machine, lets the engineer pick an archive, a generation and a
// target disk, shows the plan, asks, and runs it with a progress screen.

#include "app/Commands.hpp"
#include "app/ConsoleDisks.hpp"
#include "app/ConsoleMedia.hpp"
#include "app/ConsoleRun.hpp"
#include "app/ConsoleTerminal.hpp"
#include "app/LocalRecoveryPlan.hpp"
#include "app/PlanSession.hpp"
#include "core/Error.hpp"
#include "core/Subprocess.hpp"
#include "core/Units.hpp"
#include "disk/DiskReport.hpp"
#include "image/ArchiveChain.hpp"
#include "inventory/StorageControllers.hpp"

#include <filesystem>
#include <sstream>

namespace dagda::app {

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

std::string fit(std::string line) { return line.size() > 79 ? line.substr(0, 76) + "..." : line; }

/// "/media, /mnt, /run/media"
std::string joined(const std::vector<std::string>& words) {
    std::string text;
    for (const auto& word : words) text += (text.empty() ? "" : ", ") + word;
    return text;
}

void show_machine(ConsoleTerminal& t, const std::vector<std::string>& roots) {
    std::ostringstream out;
    out << "Dagda Rescue - field console\n\nDisks of this machine:\n";
    const auto disks = target_choices();
    if (disks.empty()) out << "  (none found)\n";
    for (std::size_t i = 0; i < disks.size() && i < 6; ++i)
        out << fit("  " + disk_line(disks[i].target) + (disks[i].held_back.empty() ? "" : "  (" + disks[i].held_back + ")")) << "\n";
    if (disks.size() > 6) out << "  ... and " << disks.size() - 6 << " more\n";
    out << "\nStorage controllers:\n";
    const auto controllers = inventory::storage_controllers();
    if (controllers.empty()) out << "  (none found)\n";
    for (std::size_t i = 0; i < controllers.size() && i < 3; ++i)
        out << fit("  " + controllers[i].where + "  " + (controllers[i].ids.empty() ? "" : controllers[i].ids.front())) << "\n";
    const auto archives = archives_under(roots, 9);
    out << "\n" << fit("Backups (looked in " + joined(roots) + "): " + (archives.empty() ? "none" : std::to_string(archives.size()) + (archives.size() == 9 ? " or more" : ""))) << "\n";
    if (!archives.empty()) out << fit("  " + archives.front() + (archives.size() > 1 ? "  ..." : "")) << "\n";
    out << "\n  r) recover a server from a backup\n  q) quit\n";
    t.clear();
    t.print(out.str());
}

std::optional<std::string> pick_generation(ConsoleTerminal& t, const std::string& location) {
    image::ArchiveChain chain(location);
    const auto& gens = chain.chain();  // newest first
    std::vector<std::string> lines, names;
    for (std::size_t i = gens.size(); i-- > 0;) {
        const auto& g = gens[i]->generation();
        lines.push_back(std::to_string(gens.size() - i) + ". " + g.value("created", std::string("?")) + "  host " + g.value("host", std::string("?")) +
                        (i + 1 == gens.size() ? "  (full)" : "  (incremental)"));
        names.push_back(gens[i]->name());
    }
    // Its own page; the newest 16 generations fit with the prompt (an older one is typed by number).
    std::ostringstream out;
    out << fit("Generations of " + location + ":") << "\n";
    const std::size_t first = lines.size() > 16 ? lines.size() - 16 : 0;
    if (first > 0) out << "  ... " << first << " older (type the number)\n";
    for (std::size_t i = first; i < lines.size(); ++i) out << fit("  " + lines[i]) << "\n";
    t.clear();
    t.print(out.str());
    const auto answer = t.ask("Generation to recover [" + std::to_string(gens.size()) + "]: ");
    if (!answer) return std::nullopt;
    if (answer->empty()) return names.back();
    if (answer->find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    const std::size_t n = std::stoul(*answer);
    if (n < 1 || n > names.size()) return std::nullopt;
    return names[n - 1];
}

/// The target disk page: the disks that may be overwritten, with size and model, and the ones held
/// back with the reason. A number picks an offered disk; any other answer is a path (an image file).
std::optional<std::string> pick_target(ConsoleTerminal& t) {
    std::vector<DiskChoice> offered, held;
    for (auto& choice : target_choices()) (choice.held_back.empty() ? offered : held).push_back(std::move(choice));
    std::ostringstream out;
    out << "Target disk (everything on it is overwritten):\n";
    if (offered.empty()) out << "  (no disk can be offered)\n";
    for (std::size_t i = 0; i < offered.size() && i < 12; ++i) out << fit("  " + std::to_string(i + 1) + ") " + disk_line(offered[i].target)) << "\n";
    if (!held.empty()) out << "Not offered:\n";
    for (std::size_t i = 0; i < held.size() && i < 5; ++i) out << fit("  " + held[i].target.path + ": " + held[i].held_back) << "\n";
    t.clear();
    t.print(out.str());
    const auto answer = t.ask("Disk (number, or an image file path; empty to go back): ");
    if (!answer || answer->empty()) return std::nullopt;
    if (answer->find_first_not_of("0123456789") == std::string::npos) {
        const std::size_t n = std::stoul(*answer);
        if (n >= 1 && n <= offered.size() && n <= 12) return offered[n - 1].target.path;
        return std::nullopt;
    }
    return answer;
}

/// Where backups are looked for and how more media are mounted there.
struct Media {
    std::vector<std::string> roots;
    std::string mount_command;  ///< the live image's mount-media; empty: none
};

/// The backups page: the archives found (and where the console looked), or a typed path or URL;
/// m mounts the USB and disk media again, s mounts an SMB or NFS share.
std::optional<std::string> pick_archive(ConsoleTerminal& t, const Media& media) {
    while (true) {
        t.clear();
        std::string title = "Backups (looked in " + joined(media.roots) + "):";
        const auto found = archives_under(media.roots, 9);
        if (found.empty()) title += "\n  (none found)";
        t.print(fit(title) + "\n");
        for (std::size_t i = 0; i < found.size(); ++i) t.print(fit("  " + std::to_string(i + 1) + ") " + found[i]) + "\n");
        t.print(std::string(media.mount_command.empty() ? "" : "  m) look again for USB disks and disks\n") + "  s) mount an SMB or NFS share\n");
        const auto typed = t.ask("Backup (number, path or URL, or a letter; empty to go back): ");
        if (!typed || typed->empty()) return std::nullopt;
        if (typed->find_first_not_of("0123456789") == std::string::npos) {
            const std::size_t n = std::stoul(*typed);
            if (n >= 1 && n <= found.size()) return found[n - 1];
            continue;
        }
        if (*typed == "m" && !media.mount_command.empty()) {
            const ProgramResult mounted = run_program({media.mount_command});
            t.print(mounted.out + mounted.err);
            t.ask("Press Enter ");
            continue;
        }
        if (*typed == "s") {
            const auto share = t.ask("Share (//server/share for SMB, server:/path for NFS): ");
            if (!share || share->empty()) continue;
            std::string user, password;
            if (share->rfind("//", 0) == 0) {
                user = t.ask("User (empty: guest): ").value_or("");
                if (!user.empty()) password = t.ask_hidden("Password: ").value_or("");
            }
            try {
                const ShareMount mount = share_mount(*share, user, password, media.roots.front());
                t.print("Mounting " + mount.source + " on " + mount.mount_point + " ...\n");
                mount_share(mount);
            } catch (const Error& e) {  // a typo or a server that says no: say it, stay on this page
                t.print(fit(std::string("Error: ") + e.what()) + "\n");
                t.ask("Press Enter ");
            }
            continue;
        }
        return typed;
    }
}

void recover(ConsoleTerminal& t, const Media& media, const std::string& journal_folder) {
    const auto archive = pick_archive(t, media);
    if (!archive) return;
    const auto generation = pick_generation(t, *archive);
    if (!generation) return;
    const auto target_path = pick_target(t);
    if (!target_path) return;
    const disk::TargetInfo target = disk::probe_target(*target_path);
    t.clear();
    t.print(fit("Target: " + disk_line(target)) + "\n\n");
    const auto targets = t.ask("Make Windows boot on (empty: this machine; or names such as virtio-scsi): ");
    const auto drivers = t.ask("Folder of out-of-box drivers (empty: none): ");
    nlohmann::json inoculation{{"auto", true}};
    if (targets && !targets->empty()) {
        std::istringstream words(*targets);
        inoculation = {{"for", nlohmann::json::array()}};
        for (std::string word; words >> word;) inoculation["for"].push_back(word);
    }
    if (drivers && !drivers->empty()) inoculation["drivers"] = *drivers;
    const nlohmann::json plan = local_recovery_plan(*generation, target, inoculation);
    PlanSession session(plan.dump(), "console plan", image::HttpsTrust{});  // the system's CAs
    jobs::JobRunner runner(session.registry(), nullptr, nullptr);
    t.clear();
    const auto problems = session.problems(runner);
    if (!problems.empty()) {
        t.print("The plan cannot run:\n");
        for (const auto& p : problems) t.print(fit("  - " + p) + "\n");
        t.ask("Press Enter ");
        return;
    }
    const auto lines = runner.describe(session.plan());
    t.print("The plan:\n");
    for (std::size_t i = 0; i < lines.size() && i < 17; ++i) t.print(fit(lines[i]) + "\n");
    if (lines.size() > 17) t.print("  ... " + std::to_string(lines.size() - 17) + " more lines\n");
    const auto answer = t.ask("Type yes to overwrite " + target.path + " (" + human_bytes(target.size_bytes) + "): ");
    if (!answer || *answer != "yes") return;
    run_on_console(t, session, journal_folder);
}

}  // namespace

int run_console(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("search", po::value<std::vector<std::string>>()->composing(),
                          "where to look for backups (default: /media, /mnt, /run/media)")(
        "media-command", po::value<std::string>()->default_value(""),
        "a program that mounts USB and disk media with backups under the first search folder; the backups page "
        "offers to run it again (the live image: /usr/lib/dagda/mount-media)")(
        "journal-dir", po::value<std::string>()->default_value(""),
        "where job journals go: a USB stick lets a job resume after a reboot (default: $DAGDA_RUN_DIR or /run/dagda)");
    const auto vm = parse_args(args, {"console"}, options, {});
    if (!vm) return 0;
    const std::vector<std::string> roots =
        vm->count("search") ? (*vm)["search"].as<std::vector<std::string>>() : std::vector<std::string>{"/media", "/mnt", "/run/media"};
    const Media media{roots, (*vm)["media-command"].as<std::string>()};
    ConsoleTerminal t;
    while (true) {
        show_machine(t, roots);
        const auto answer = t.ask("Choice: ");
        if (!answer || *answer == "q") return 0;
        if (*answer != "r") continue;
        try {
            recover(t, media, (*vm)["journal-dir"].as<std::string>());
        } catch (const std::exception& e) {  // a wrong path or a refused disk: say it, stay in the console
            t.print("\n" + fit(std::string("Error: ") + e.what()) + "\n");
            t.ask("Press Enter ");
        }
    }
}

}  // namespace dagda::app
