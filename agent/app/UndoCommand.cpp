// dagda undo: a disk written by `dagda run --undo-journal` put back as it was before the run's
// first write (docs/journal-format.md, "Undo journal"): how a failed push button recovery leaves
// a replica as its freeze left it. The target's identity is proven first, like every write's.

#include "app/Commands.hpp"
#include "core/Error.hpp"
#include "core/UndoJournal.hpp"
#include "core/Units.hpp"
#include "disk/Safety.hpp"
#include "disk/Target.hpp"

#include <nlohmann/json.hpp>

#include <iostream>

namespace dagda::app {

namespace po = boost::program_options;

int run_undo(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("journal", po::value<std::string>()->required(), "the undo journal (dagda run --undo-journal)")(
        "target", po::value<std::string>()->required(), "the disk or image file it was made for")(
        "dry-run", "check the journal and say what would be written back; write nothing")("json", "print the result as JSON");
    add_identity_options(options);
    po::positional_options_description positional;
    positional.add("journal", 1).add("target", 1);
    const auto vm = parse_args(args, {"undo"}, options, positional);
    if (!vm) return 0;
    const std::string journal = (*vm)["journal"].as<std::string>(), target = (*vm)["target"].as<std::string>();
    const bool dry_run = vm->count("dry-run") > 0;
    if (!dry_run) disk::check_target_safe(disk::probe_target(target), identity_assertions(*vm));
    const UndoReport report = undo_journal(journal, target, dry_run);
    if (vm->count("json")) {
        std::cout << nlohmann::json{{"journal", journal}, {"target", target}, {"regions", report.regions}, {"bytes", report.bytes},
                                    {"torn_tail", report.torn_tail}, {"dry_run", dry_run}}.dump(2)
                  << "\n";
        return 0;
    }
    std::cout << (dry_run ? "Would write back " : "Wrote back ") << report.regions << " regions (" << human_bytes(report.bytes) << ") of " << target
              << (dry_run ? "" : ": it is as it was before the journal's first write") << "\n";
    if (report.torn_tail) std::cout << "(the journal's last record was cut short as it was saved; its write was never made)\n";
    return 0;
}

}  // namespace dagda::app
