// disk.apply_layout: the partition table of a plan's disk, from an archive, a file or inline.

#include "core/Error.hpp"
#include "disk/Committer.hpp"
#include "disk/Plan.hpp"
#include "disk/SfdiskJson.hpp"
#include "image/ArchiveChain.hpp"
#include "recovery/DiskRestore.hpp"
#include "steps/StepArgs.hpp"
#include "steps/StepFingerprints.hpp"
#include "steps/Steps.hpp"

#include <fstream>
#include <sstream>

namespace dagda::steps {

namespace {

/// A layout from {"file": sfdisk JSON} or an sfdisk JSON document itself.
disk::Layout load_layout_document(const nlohmann::json& source) {
    if (source.contains("file")) {
        const std::string path = source.at("file").get<std::string>();
        std::ifstream in(path);
        if (!in) throw Error(ErrorKind::failed, "cannot read the layout " + path);
        std::ostringstream text;
        text << in.rdbuf();
        return disk::parse_layout_json(text.str());
    }
    return disk::parse_layout_json(source.dump());
}

/// The layout a step names: {"archive": TIB} (its LAYT record, with the source disk's size and
/// first track, exactly as `tib restore --disk` writes it), {"file": sfdisk JSON} or an sfdisk
/// JSON document itself.
disk::Plan load_plan(const nlohmann::json& source, const disk::TargetInfo& target, const disk::PlanOptions& options,
                     const image::HttpsTrust& https_trust) {
    if (!source.is_object()) throw Error(ErrorKind::usage, "\"layout\" must be an object: {\"archive\": …}, {\"file\": …} or sfdisk JSON");
    if (source.contains("archive")) {
        const std::string location = source.at("archive").get<std::string>();
        image::ArchiveChain chain(location, https_trust);
        if (!chain.newest().layout()) throw Error(ErrorKind::failed, location + " holds a volume, not a disk: it has no layout");
        return recovery::archive_disk_plan(chain.newest(), target, options);
    }
    return disk::build_plan(load_layout_document(source), target, options);
}

const std::vector<jobs::ArgumentSpec> apply_layout_arguments{
    {"disk", "disk name", true, "the plan's disk"},
    {"layout", "{\"archive\": TIB} | {\"file\": PATH} | sfdisk JSON", true, "the table to write"},
    {"fit", "true/false", false, "fit it to the disk's size (default true)"},
    {"grow", "partition number", false, "the partition that takes the difference"},
};

struct ApplyLayout {
    std::string disk;
    nlohmann::json layout;
    bool fit = true;
    std::optional<unsigned> grow;
    std::vector<std::string> problems;

    explicit ApplyLayout(const nlohmann::json& json) {
        StepArgs args(json, apply_layout_arguments);
        disk = args.text("disk");
        layout = args.raw("layout");
        if (layout.is_null()) args.problem("\"layout\" is missing");
        fit = args.flag("fit", true);
        grow = args.optional_number("grow");
        problems = args.problems();
    }

    /// The same plan each time for the same step and disk: validation, the printout and the
    /// run (in this process or another, a dry run or a resumed job) draw the same missing ids.
    disk::Plan plan(const StepEnvironment& env, const nlohmann::json& json) const {
        const disk::TargetInfo& target = env.disks->get(disk).target;
        disk::PlanOptions options;
        options.fit = fit;
        options.grow = grow;
        options.id_seed = "dagda disk.apply_layout " + json.dump() + " onto " + identity_of(target).dump();
        return load_plan(layout, target, options, env.https_trust);
    }
};

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

}  // namespace

void add_disk_steps(jobs::StepRegistry& registry, StepEnvironment& env) {
    registry.add({"disk.apply_layout", "write a partition table (and MBR boot code) with libparted, fitted to the disk", jobs::Resume::rerun,
                  [&env](const nlohmann::json& json) {
                      ApplyLayout step(json);
                      if (!step.problems.empty()) return step.problems;
                      // Throws with the reason when the layout does not fit; later steps are
                      // checked against the table it will write.
                      env.planned_layouts[step.disk] = step.plan(env, json).layout;
                      return std::vector<std::string>{};
                  },
                  [&env](const nlohmann::json& json) {
                      const ApplyLayout step(json);
                      std::vector<std::string> lines{"On " + disk::describe(env.disks->get(step.disk).target) + ":"};
                      for (const std::string& line : lines_of(disk::plan_text(step.plan(env, json)))) lines.push_back("  " + line);
                      return lines;
                  },
                  [&env](const nlohmann::json& json, jobs::StepContext& context) {
                      const ApplyLayout step(json);
                      const PlanDisk& disk = env.disks->get(step.disk);
                      disk::check_target_safe(disk::probe_target(disk.target.path), disk.expected);
                      const disk::Plan plan = step.plan(env, json);
                      const UniqueFd claim = disk::hold_exclusive(plan.target);
                      std::uint64_t done = 0;
                      disk::commit_plan(plan, [&](const disk::Action& action) {
                          context.say(action.doing_text());
                          context.progress(++done, plan.actions.size(), action.doing_text());
                      });
                  },
                  [](const nlohmann::json& json) { return "disk:" + json.value("disk", std::string()); }, apply_layout_arguments,
                  [&env](const nlohmann::json& json) { return table_fingerprint(env.disks->get(ApplyLayout(json).disk)); }});
}

jobs::StepRegistry recovery_steps(StepEnvironment& environment) {
    jobs::StepRegistry registry;
    add_disk_steps(registry, environment);
    add_image_steps(registry, environment);
    add_capture_steps(registry, environment);
    add_undo_steps(registry, environment);
    add_windows_steps(registry, environment);
    add_machine_steps(registry, environment);
    return registry;
}

}  // namespace dagda::steps
