#include "app/Commands.hpp"

#include <algorithm>
#include <sstream>

namespace dagda::app {

const std::vector<Command>& all_commands() {
    static const std::vector<Command> commands{
        {{"inventory"}, "[--json] [--disk PATH]...",
         "disks, PCI devices with Windows hardware IDs, network, firmware, CPU and memory", run_inventory},
        {{"disk", "show"}, "TARGET [--json] [--with-bootcode]",
         "the partition layout of a disk or image (sfdisk --json format)", run_disk_show},
        {{"disk", "apply"}, "TARGET LAYOUT.json [options]",
         "write a partition layout with libparted (plan first; --dry-run stops there)", run_disk_apply},
        {{"tib", "capture"}, "(--disk SRC | --volume SRC) OUT.tib [--base PREV.tib] [--level N]",
         "back up a whole disk or one volume into a TIB archive (used blocks only, zstd, SHA-256)", run_tib_capture},
        {{"tib", "restore"}, "ARCHIVE.tib[@GENERATION] TARGET [--volume N | --disk] [--verify]",
         "restore a volume, or a whole disk (layout fitted, first track, volumes)", run_tib_restore},
        {{"tib", "info"}, "ARCHIVE.tib [--json]", "an archive's generations (number, file, date, kind, size) and volumes", run_tib_info},
        {{"tib", "verify"}, "ARCHIVE.tib[@GENERATION]", "check every hash of an archive and its chain; writes nothing", run_tib_verify},
        {{"tib", "ls"}, "ARCHIVE.tib[@GENERATION][:VOLUME] [PATH]", "list a folder of an NTFS volume in an archive, without restoring",
         run_tib_ls},
        {{"tib", "extract"}, "ARCHIVE.tib[@GENERATION][:VOLUME] PATH DEST", "copy files or folders out of an NTFS volume in an archive",
         run_tib_extract},
        {{"windows", "info"}, "VOLUME [--partition N] [--json]",
         "the Windows on an offline volume: version, build, edition, architecture, control sets", run_windows_info},
        {{"windows", "set-identity"}, "VOLUME --computer-name NAME [--dhcp-all-nics] [--dry-run]",
         "rename a recovered Windows offline (and move static NICs to DHCP) to run it beside the original",
         run_windows_set_identity},
        {{"run"}, "PLAN.json [--dry-run] [--yes] [--journal PATH] [--undo-journal PATH] [--progress text|json|none]",
         "run a recovery plan: validate it, print its actions, ask, then run it with a journal (rerun to resume)", run_run},
        {{"undo"}, "JOURNAL DISK [--dry-run] [--yes]",
         "put a disk back as it was before a run with --undo-journal: each saved region written back", run_undo},
        {{"plan", "from-archive"}, "ARCHIVE.tib[@GENERATION] --to DISK [--for NAME]... [-o PLAN.json]",
         "write the plan of a whole-server recovery: layout, every volume, inoculation, boot fix-up", run_plan_from_archive},
        {{"console"}, "[--search FOLDER]...", "the field engineer's text console (tty or serial, 80x24): pick a backup and a disk, run it",
         run_console},
        {{"inoculate"}, "VOLUME [--auto] [--for NAME]... [--drivers DIR] [--dry-run]",
         "make a restored Windows boot on new storage hardware: boot drivers and their registry bindings", run_inoculate},
        {{"fixup-boot"}, "DISK (--from-archive ARCHIVE.tib | --old-layout LAYOUT.json) [--dry-run]",
         "after a restore onto another disk: NTFS boot sectors, MountedDevices and BCD rewritten for it", run_fixup_boot},
        {{"agent"}, "--controller wss://HOST:PORT (--pin PIN | --ca FILE) --enrolment NAME --token-file FILE [--settings /proc/cmdline]",
         "the live image's agent: dial the controller, prove this machine, run the plans it sends", run_agent},
        {{"controller"}, "[--state-dir DIR] [--listen ADDRESS] [--port N] [--archives DIR]",
         "the reference controller: HTTPS API, agents over WSS, recovery files; state in SQLite", run_controller},
        {{"ctl"}, "SUBCOMMAND [ARGS] --controller https://HOST:PORT (--pin PIN | --ca FILE) [--token-file FILE]",
         "the operator's client of a controller: enrol machines, list agents, submit, watch and cancel jobs", run_ctl},
    };
    return commands;
}

std::string usage_line(const std::vector<std::string>& words) {
    for (const auto& command : all_commands()) {
        if (command.words != words) continue;
        std::string line = "Usage: dagda";
        for (const auto& word : words) line += " " + word;
        return line + " " + command.synopsis + "\n" + command.summary + "\n";
    }
    return "Usage: dagda COMMAND\n";
}

std::string main_help() {
    std::ostringstream out;
    out << "Usage: dagda COMMAND [ARGS] [--json]\n"
           "Dagda Rescue agent: brings a server's disks back on new hardware.\n\nCommands:\n";
    const auto name_of = [](const Command& command) {
        std::string name;
        for (const auto& word : command.words) name += (name.empty() ? "" : " ") + word;
        return name;
    };
    std::size_t width = 0;
    for (const auto& command : all_commands()) width = std::max(width, name_of(command).size());
    for (const auto& command : all_commands()) {
        const std::string name = name_of(command);
        out << "  " << name << std::string(width + 2 - name.size(), ' ') << command.summary << "\n";
    }
    out << "\nEvery command takes --help. --json prints machine-readable output on stdout\n"
           "(errors too, as {\"error\": {\"kind\", \"message\"}}). dagda --version prints the version.\n\n"
           "Exit codes (stable):\n"
           "  0  done\n"
           "  1  failed: the operation or its input failed (bad layout, I/O or library error)\n"
           "  2  usage error: the command line is wrong\n"
           "  3  refused for safety: a check refused to touch the target; nothing was written\n"
           "  4  cancelled: a job was cancelled; run it again with the same journal to resume\n";
    return out.str();
}

}  // namespace dagda::app

#include <iostream>

namespace dagda::app {

namespace po = boost::program_options;

void add_identity_options(po::options_description& options) {
    options.add_options()("expect-size", po::value<std::uint64_t>(), "refuse unless the target has exactly this many bytes")(
        "expect-serial", po::value<std::string>(), "refuse unless the target has this serial number")(
        "expect-wwn", po::value<std::string>(), "refuse unless the target has this WWN")(
        "yes", "the target is an image file and may be overwritten");
}

disk::IdentityAssertions identity_assertions(const po::variables_map& vm) {
    disk::IdentityAssertions expected;
    if (vm.count("expect-size")) expected.size_bytes = vm["expect-size"].as<std::uint64_t>();
    if (vm.count("expect-serial")) expected.serial = vm["expect-serial"].as<std::string>();
    if (vm.count("expect-wwn")) expected.wwn = vm["expect-wwn"].as<std::string>();
    expected.yes = vm.count("yes") > 0;
    return expected;
}

std::optional<po::variables_map> parse_args(const std::vector<std::string>& args, const std::vector<std::string>& words,
                                            const po::options_description& options,
                                            const po::positional_options_description& positional) {
    po::options_description all(options);
    all.add_options()("help,h", "show this help");
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    if (vm.count("help")) {
        std::cout << usage_line(words) << "\n" << all;
        return std::nullopt;
    }
    po::notify(vm);
    return vm;
}

}  // namespace dagda::app
