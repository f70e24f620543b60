// dagda disk apply: check the target, plan the layout, print the plan, then commit it.

#include "app/Commands.hpp"
#include "core/Error.hpp"
#include "disk/Committer.hpp"
#include "disk/Plan.hpp"
#include "disk/Safety.hpp"
#include "disk/SfdiskJson.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

namespace dagda::app {

namespace po = boost::program_options;
using nlohmann::json;

namespace {

std::string read_layout_text(const std::string& path) {
    if (path == "-") {
        std::ostringstream text;
        text << std::cin.rdbuf();
        return text.str();
    }
    std::ifstream in(path);
    if (!in) throw Error(ErrorKind::failed, "cannot read layout file " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

json plan_json(const disk::Plan& plan) {
    json actions = json::array();
    for (const auto& action : plan.actions) actions.push_back(action.plan_text());
    return {{"target", plan.target.path}, {"actions", actions},
            {"layout", json::parse(disk::to_sfdisk_json(plan.layout, true))}};
}

}  // namespace

int run_disk_apply(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("target", po::value<std::string>()->required(), "disk or image file to write")(
        "layout", po::value<std::string>()->required(), "layout in sfdisk --json format ('-' for stdin)")(
        "fit", "adapt a layout from a disk of another size (1 MiB alignment kept)")(
        "grow", po::value<unsigned>(), "with --fit: the partition that takes the difference (default: last data partition)")(
        "dry-run", "print the plan and stop; nothing is written")("json", "print the plan and result as JSON");
    add_identity_options(options);
    po::positional_options_description positional;
    positional.add("target", 1).add("layout", 1);
    const auto vm = parse_args(args, {"disk", "apply"}, options, positional);
    if (!vm) return 0;
    if (vm->count("grow") && !vm->count("fit"))
        throw po::error("--grow only has a meaning with --fit");
    const bool as_json = vm->count("json") > 0;
    const bool dry_run = vm->count("dry-run") > 0;

    const std::string layout_text = read_layout_text((*vm)["layout"].as<std::string>());
    const disk::Layout requested = disk::parse_layout_json(layout_text);
    const disk::TargetInfo target = disk::probe_target((*vm)["target"].as<std::string>());
    const disk::IdentityAssertions expected = identity_assertions(*vm);
    // A dry run writes nothing, so it may run before identity is asserted; assertions given are still checked.
    if (!dry_run) disk::check_target_safe(target, expected);
    else if (expected.size_bytes || expected.serial || expected.wwn) disk::check_identity(target, expected);
    disk::PlanOptions plan_options;
    plan_options.fit = vm->count("fit") > 0;
    if (vm->count("grow")) plan_options.grow = (*vm)["grow"].as<unsigned>();
    // Ids the layout lacks follow from it and the disk: a dry run prints those the real run writes.
    plan_options.id_seed = "dagda disk apply " + layout_text + " onto " + target.path + " " + std::to_string(target.size_bytes) +
                           " " + target.serial.value_or("") + " " + target.wwn.value_or("");
    const disk::Plan plan = disk::build_plan(requested, target, plan_options);

    json result = plan_json(plan);
    result["dry_run"] = dry_run;
    if (!as_json) std::cout << "Plan for " << disk::describe(target) << ":\n" << disk::plan_text(plan);
    if (dry_run) {
        if (as_json) std::cout << result.dump(2) << "\n";
        else std::cout << "Dry run: nothing was written.\n";
        return 0;
    }
    const UniqueFd claim = disk::hold_exclusive(target);
    const auto warnings = disk::commit_plan(plan, [&](const disk::Action& action) {
        if (!as_json) std::cout << action.doing_text() << "\n" << std::flush;
    });
    result["warnings"] = warnings;
    result["result"] = "done";
    if (as_json) std::cout << result.dump(2) << "\n";
    else {
        for (const auto& warning : warnings) std::cout << "libparted: " << warning << "\n";
        std::cout << "Done: " << target.path << " has the layout.\n";
    }
    return 0;
}

}  // namespace dagda::app
