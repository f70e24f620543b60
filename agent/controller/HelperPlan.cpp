#include "controller/HelperPlan.hpp"

#include "core/Error.hpp"
#include "core/Url.hpp"
#include "protocol/Proof.hpp"
#include "recovery/InventoryTarget.hpp"
#include "recovery/RecoveryPlan.hpp"

#include <filesystem>

namespace dagda::controller {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

/// `plan`'s disk "target" renamed `id` in its disks and steps, so several disks' plans join into one.
json renamed_disk(json plan, const std::string& id) {
    plan["disks"] = {{id, plan["disks"]["target"]}};
    for (json& step : plan["steps"])
        if (step.value("disk", "") == "target") step["disk"] = id;
    return plan;
}

}  // namespace

json helper_plan(const std::string& recovery_id, const json& order, const json& inventory, const std::string& archives_dir, const std::string& files_url,
                 FileGrant& grant) {
    grant.key = protocol::random_nonce();
    grant.names.clear();
    std::string base = files_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    json inoculation{{"for", order["inoculate_for"]}};
    if (order.contains("drivers")) inoculation["drivers"] = helper_drivers_folder;
    json plan{{"dagda_plan", 1}, {"disks", json::object()}, {"steps", json::array()}};
    std::string names;
    for (std::size_t i = 0; i < order["disks"].size(); ++i) {
        const json& disk = order["disks"][i];
        const fs::path archive = disk["archive"].get<std::string>();
        // The archive folder's SERVER/FILE: the grant's names and the URL's path.
        const fs::path relative = archive.lexically_relative(archives_dir);
        if (relative.empty() || relative.begin()->string() == ".." || std::distance(relative.begin(), relative.end()) != 2)
            throw Error(ErrorKind::failed, archive.string() + " is not a server's file in the archive folder " + archives_dir);
        const std::string server = relative.begin()->string();
        for (const std::string& file : recovery::chain_file_names(archive.string())) grant.names.push_back(server + "/" + file);
        const std::string url = base + "/" + grant.key + "/" + url_path_escaped(server) + "/" + url_path_escaped(archive.filename().string());
        const recovery::RecoveryTarget target = recovery::inventory_target(inventory, disk["serial"].get<std::string>());
        const std::string id = "disk" + std::to_string(i + 1);
        json one = renamed_disk(recovery::recovery_plan({archive.string(), url}, target, inoculation), id);
        plan["disks"][id] = one["disks"][id];
        for (json& step : one["steps"]) plan["steps"].push_back(std::move(step));
        names += (names.empty() ? "" : "; ") + id + " onto " + target.description +
                 (target.contents.empty() ? "" : " (it holds " + target.contents + ": it will be overwritten)");
    }
    // Named without the grant's key, which is new on each call: a resumed recovery knows its own
    // job by this name (ControllerHelpers.cpp).
    plan["name"] = recovery_id + ": recover " + order["server"].get<std::string>() + " generation " + std::to_string(order["generation"].get<unsigned>()) +
                   " to the new VM " + order["vm"]["name"].get<std::string>() + ": " + names;
    if (order.contains("computer_name")) plan = with_new_identity(std::move(plan), order["computer_name"]);
    // The helper's disks are handed to the new VM once it is off.
    plan["steps"].push_back({{"step", "machine.poweroff"}});
    return plan;
}

json with_new_identity(json plan, const std::string& computer_name) {
    json steps = json::array();
    for (const json& step : plan["steps"]) {
        if (step.value("step", "") == "windows.inoculate")
            steps.push_back({{"step", "windows.set_identity"}, {"disk", step["disk"]}, {"computer_name", computer_name}, {"dhcp_all_nics", true}});
        steps.push_back(step);
    }
    plan["steps"] = std::move(steps);
    return plan;
}

}  // namespace dagda::controller
