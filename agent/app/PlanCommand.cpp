// dagda plan from-archive: the plan a whole-server recovery needs, so the common case needs no
// hand-written JSON: the archive's layout fitted to the disk, every volume restored, Windows
// inoculated for this machine's controllers, and the boot fixed up for the new disk.

#include "app/ArchiveArgument.hpp"
#include "app/Commands.hpp"
#include "app/LocalRecoveryPlan.hpp"
#include "core/Error.hpp"
#include "core/OwnerOnlyFile.hpp"
#include "disk/LayoutReader.hpp"
#include "disk/Target.hpp"
#include "recovery/RecoveryPlan.hpp"
#include "steps/PlanDisks.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>

namespace dagda::app {

namespace po = boost::program_options;

nlohmann::json local_recovery_plan(const std::string& archive, const disk::TargetInfo& target, const nlohmann::json& inoculation) {
    return recovery::recovery_plan({archive, archive}, {steps::identity_of(target), disk::describe(target)}, inoculation);
}

int run_plan_from_archive(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("archive", po::value<std::string>()->required(), "the newest TIB generation of the chain (path or URL; ARCHIVE.tib@N)")(
        "to", po::value<std::string>()->required(), "the disk (or image file) to recover onto")(
        "for", po::value<std::vector<std::string>>()->composing(), "inoculate for these catalog targets instead of this machine's controllers")(
        "drivers", po::value<std::string>(), "vendor driver packages for inoculation")(
        "replica", "the disk holds this generation's volumes already (a replica): restore nothing, keep its partition table "
                   "(written only where it has none), make it bootable and inoculate it in place")(
        "disable", po::value<std::vector<std::string>>()->composing(), "services to turn off as Windows is inoculated (a replication agent)")(
        "output,o", po::value<std::string>(), "write the plan here instead of printing it");
    add_generation_option(options);
    add_archive_urls_option(options);
    po::positional_options_description positional;
    positional.add("archive", 1);
    const auto vm = parse_args(args, {"plan", "from-archive"}, options, positional);
    if (!vm) return 0;
    std::string archive = generation_file(parse_archive_argument((*vm)["archive"].as<std::string>(), false), *vm);
    if (archive.find("://") == std::string::npos) archive = std::filesystem::absolute(archive).lexically_normal().string();
    const disk::TargetInfo target = disk::probe_target((*vm)["to"].as<std::string>());
    nlohmann::json inoculation = nlohmann::json::object();
    if (vm->count("for")) inoculation["for"] = (*vm)["for"].as<std::vector<std::string>>();
    else inoculation["auto"] = true;
    if (vm->count("drivers")) inoculation["drivers"] = (*vm)["drivers"].as<std::string>();
    if (vm->count("disable")) inoculation["disable"] = (*vm)["disable"].as<std::vector<std::string>>();
    // An archive in an object store: its chain read through the URLs, which the plan keeps for
    // `dagda run` (docs/plan.md, "archive_urls").
    const std::vector<std::string> urls = archive_urls(*vm);
    const recovery::PlanTarget holds = !vm->count("replica")        ? recovery::PlanTarget::blank
                                       : disk::read_layout(target) ? recovery::PlanTarget::replica_with_table
                                                                   : recovery::PlanTarget::replica_without_table;
    nlohmann::json plan =
        recovery::recovery_plan({archive, archive, archive_urls_trust(urls)}, {steps::identity_of(target), disk::describe(target)}, inoculation, holds);
    if (!urls.empty()) plan["archive_urls"] = urls;
    const std::string text = plan.dump(2) + "\n";
    if (!vm->count("output")) {
        std::cout << text;
        return 0;
    }
    const std::string path = (*vm)["output"].as<std::string>();
    if (!urls.empty()) {
        // The URLs read the server's backups until they expire: the plan is its owner's only.
        write_owner_only(path, text);
    } else {
        std::ofstream out(path);
        if (!(out << text)) throw Error(ErrorKind::failed, "cannot write " + path);
    }
    std::cerr << "dagda: wrote the plan to " << path << "; check it with dagda run " << path << " --dry-run\n";
    return 0;
}

}  // namespace dagda::app
