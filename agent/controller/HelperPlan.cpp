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

/// The URL of `archive` (SERVER/FILE in the archive folder) under `files_url` with the grant's
/// key, its chain's files added to the grant.
std::string chain_url(const fs::path& archive, const std::string& archives_dir, const std::string& files_url, FileGrant& grant) {
    std::string base = files_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    // The archive folder's SERVER/FILE: the grant's names and the URL's path.
    const fs::path relative = archive.lexically_relative(archives_dir);
    if (relative.empty() || relative.begin()->string() == ".." || std::distance(relative.begin(), relative.end()) != 2)
        throw Error(ErrorKind::failed, archive.string() + " is not a server's file in the archive folder " + archives_dir);
    const std::string server = relative.begin()->string();
    for (const std::string& file : recovery::chain_file_names(archive.string())) grant.names.push_back(server + "/" + file);
    return base + "/" + grant.key + "/" + url_path_escaped(server) + "/" + url_path_escaped(archive.filename().string());
}

/// Where the helper reads `archive` (an order's disk "archive"): from the archive folder through
/// this job's grant, or from the bucket of an order with "store": "bucket" through pre-signed URLs
/// for the store as the helper reaches it, which are added to `plan`'s "archive_urls". `open` is
/// how this controller reads it while planning.
recovery::ArchiveLocation helper_archive(const json& order, const std::string& archive, const std::string& archives_dir, const std::string& files_url,
                                         FileGrant& grant, ArchiveStore* bucket, std::chrono::seconds lifetime, json& plan) {
    if (order.value("store", "") != "bucket") return {archive, chain_url(archive, archives_dir, files_url, grant)};
    if (!bucket) throw Error(ErrorKind::failed, "this recovery reads the archive store's bucket, and this controller has none now");
    ChainAccess chain = chain_named(*bucket, archive, lifetime);
    for (const std::string& url : chain.agent_urls) plan["archive_urls"].push_back(url);
    return {chain.location, chain.agent_location, std::move(chain.access)};
}

/// The inventory disk the helper sees under `serial`, as the plan's disk.
const json& inventory_disk(const json& inventory, const std::string& serial) {
    if (inventory.is_object() && inventory.contains("disks") && inventory["disks"].is_array())
        for (const json& disk : inventory["disks"])
            if (disk.is_object() && disk.value("serial", "") == serial) return disk;
    throw Error(ErrorKind::failed, "the helper does not see a disk with the serial " + serial);
}

/// The path under which the helper sees disk `disk`'s undo journal volume, found by its serial:
/// its /dev/disk/by-id name where the live image has one, else its /dev name in this boot (the
/// plan is made from this boot's inventory, and the journal refuses a device that holds anything
/// but a journal, or a journal made for a target of another size).
std::string helper_undo_journal(const json& order, std::size_t disk, const json& inventory) {
    const std::string serial = order["disks"][disk]["journal_serial"];
    const json& journal = inventory_disk(inventory, serial);
    if (journal.contains("by_id") && journal["by_id"].is_array() && !journal["by_id"].empty() && journal["by_id"][0].is_string()) {
        const std::string name = journal["by_id"][0];
        return name.rfind('/', 0) == 0 ? name : "/dev/disk/by-id/" + name;
    }
    const std::string path = journal.value("path", "");
    if (path.rfind("/dev/", 0) != 0) throw Error(ErrorKind::failed, "the helper reports the journal volume " + serial + " with no device path");
    return path;
}

}  // namespace

json replica_helper_plan(const std::string& recovery_id, const json& order, std::size_t disk, const std::string& part, const json& inventory,
                         const std::string& archives_dir, const std::string& files_url, FileGrant& grant, ArchiveStore* bucket,
                         std::chrono::seconds url_lifetime) {
    grant.key = protocol::random_nonce();
    grant.names.clear();
    const json& d = order["disks"][disk];
    const recovery::RecoveryTarget target = recovery::inventory_target(inventory, d["serial"].get<std::string>());
    const bool in_place = order["replica"]["use"] == "in_place";
    // Named without the grant's key: a resumed recovery knows its own job by this name.
    const std::string name = recovery_id + ": " + part + " disk " + std::to_string(disk + 1) + " of the replica of " + order["server"].get<std::string>() +
                             " (" + target.description + ")";
    if (part == "undo")
        return {{"dagda_plan", 1}, {"name", name}, {"disks", {{"replica", target.identity}}},
                {"steps", json::array({{{"step", "disk.undo"}, {"disk", "replica"}, {"journal", helper_undo_journal(order, disk, inventory)}}})}};
    json urls = json::object();
    recovery::ArchiveLocation location = helper_archive(order, d["archive"], archives_dir, files_url, grant, bucket, url_lifetime, urls);
    json inoculation{{"for", order["inoculate_for"]}};
    if (!order["replica"]["disable"].empty()) inoculation["disable"] = order["replica"]["disable"];
    if (order.contains("drivers")) inoculation["drivers"] = helper_drivers_folder;
    // The table is written only where the replica has none (an engine that replicates volumes).
    const bool has_table = inventory_disk(inventory, d["serial"]).contains("partition_table") &&
                           inventory_disk(inventory, d["serial"])["partition_table"].is_object();
    json whole = recovery::recovery_plan(location, target, inoculation,
                                         has_table ? recovery::PlanTarget::replica_with_table : recovery::PlanTarget::replica_without_table);
    if (order.contains("computer_name")) whole = with_new_identity(std::move(whole), order["computer_name"]);
    json plan{{"dagda_plan", 1}, {"name", name}, {"disks", whole["disks"]}, {"steps", json::array()}};
    if (urls.contains("archive_urls")) plan["archive_urls"] = urls["archive_urls"];
    for (const json& step : whole["steps"]) {
        const std::string step_name = step["step"];
        const bool boot = step_name == "disk.apply_layout" || step_name == "windows.fixup_boot";
        if (boot == (part == "boot")) plan["steps"].push_back(step);
    }
    // In place, every write is undoable until the session is removed: its journal is a volume of
    // its own, lent to the helper with the replica.
    if (in_place) plan["undo_journal"] = helper_undo_journal(order, disk, inventory);
    return plan;
}

json backup_helper_plan(const std::string& recovery_id, const json& order, const json& bases, const json& inventory, const std::string& archives_dir,
                        const std::string& files_url, FileGrant& grant, ArchiveStore* bucket, std::chrono::seconds url_lifetime) {
    grant.key = protocol::random_nonce();
    grant.names.clear();
    grant.uploads.clear();
    std::string uploads = files_url;
    while (!uploads.empty() && uploads.back() == '/') uploads.pop_back();
    uploads = uploads.substr(0, uploads.size() - std::string("/files").size()) + "/uploads/" + grant.key + "/";
    const std::string server = order["server"];
    json plan{{"dagda_plan", 1}, {"disks", json::object()}, {"steps", json::array()}};
    for (std::size_t i = 0; i < order["disks"].size(); ++i) {
        const json& disk = order["disks"][i];
        const recovery::RecoveryTarget target = recovery::inventory_target(inventory, disk["serial"].get<std::string>());
        const std::string id = "disk" + std::to_string(i + 1);
        const std::string base_name = bases.at(i).get<std::string>();
        const std::string base =
            helper_archive(order, order.value("store", "") == "bucket" ? server + "/" + base_name : (fs::path(archives_dir) / server / base_name).string(),
                           archives_dir, files_url, grant, bucket, url_lifetime, plan)
                .reference;
        const std::string file = fs::path(disk["archive"].get<std::string>()).filename().string();
        grant.uploads.push_back({server + "/" + file, server + "/" + bases.at(i).get<std::string>()});
        plan["disks"][id] = target.identity;
        plan["steps"].push_back({{"step", "image.capture"}, {"disk", id}, {"output", uploads + url_path_escaped(server) + "/" + url_path_escaped(file)}, {"base", base}});
    }
    // Named without the grant's key: a resumed recovery knows its own job by this name.
    plan["name"] = recovery_id + ": back up the replica of " + server + " (" + std::to_string(order["disks"].size()) + " disks) to the controller";
    return plan;
}

json helper_plan(const std::string& recovery_id, const json& order, const json& inventory, const std::string& archives_dir, const std::string& files_url,
                 FileGrant& grant, ArchiveStore* bucket, std::chrono::seconds url_lifetime) {
    grant.key = protocol::random_nonce();
    grant.names.clear();
    json inoculation{{"for", order["inoculate_for"]}};
    if (order.contains("drivers")) inoculation["drivers"] = helper_drivers_folder;
    json plan{{"dagda_plan", 1}, {"disks", json::object()}, {"steps", json::array()}};
    std::string names;
    for (std::size_t i = 0; i < order["disks"].size(); ++i) {
        const json& disk = order["disks"][i];
        const recovery::ArchiveLocation location = helper_archive(order, disk["archive"], archives_dir, files_url, grant, bucket, url_lifetime, plan);
        const recovery::RecoveryTarget target = recovery::inventory_target(inventory, disk["serial"].get<std::string>());
        const std::string id = "disk" + std::to_string(i + 1);
        json one = renamed_disk(recovery::recovery_plan(location, target, inoculation), id);
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
