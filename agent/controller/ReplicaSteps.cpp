// The steps of a push button recovery (docs/vm-recovery.md, "Push button"; PushButtonOrder):
// the replica found and checked through its adapter, frozen, made bootable and inoculated in
// place (with an undo journal) or copied or backed up, its session removed or resumed. And what
// a failure leaves: before the session is removed, the replica put back as the freeze left it
// and replication resumed; after, the exact state of the disks and how to finish by hand.

#include "controller/HelperPlan.hpp"
#include "controller/RecoveryRunner.hpp"
#include "controller/ProgramOutput.hpp"
#include "controller/PushButtonOrder.hpp"
#include "controller/ReplicaCatalog.hpp"
#include "core/Error.hpp"
#include "core/OwnerOnlyFile.hpp"
#include "core/Subprocess.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>

namespace dagda::controller {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

double unix_seconds() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

std::string joined(const json& names) {
    std::string out;
    for (const json& name : names) out += (out.empty() ? "" : ", ") + name.get<std::string>();
    return out;
}

/// A helper's undo journal volume: room for the before-images of a boot fix-up and an inoculation
/// (boot regions, driver files, hives), sparse, so it costs what is written.
constexpr std::uint64_t journal_volume_bytes = 1ull << 30;

/// The plan `part` of a replica's disk: "boot" (layout where missing, boot fix-up) or
/// "inoculate" (a test copy's rename, inoculation with the services turned off).
json plan_part(const json& plan, const std::string& part) {
    json out = plan;
    out["steps"] = json::array();
    for (const json& step : plan["steps"]) {
        const std::string name = step["step"];
        const bool boot = name == "disk.apply_layout" || name == "windows.fixup_boot";
        if (boot == (part == "boot")) out["steps"].push_back(step);
    }
    return out;
}

}  // namespace

ReplicationAdapter& RecoveryRunner::replica_adapter(const json& order) {
    const std::string name = order["replica"]["adapter"];
    ReplicationAdapter* adapter = settings_.replicas ? settings_.replicas->adapter(name) : nullptr;
    if (!adapter) throw Error(ErrorKind::failed, "this controller has no replication adapter \"" + name + "\" (its --replication-adapter options)");
    return *adapter;
}

std::optional<ReplicaSession> RecoveryRunner::find_replica_session(const json& order) {
    const json& replica = order["replica"];
    for (ReplicaSession& session : discover_sessions(replica_adapter(order))) {
        if (session.id != replica["session"].get<std::string>()) continue;
        if (json(volume_names(session)) != replica["volumes"])
            throw Error(ErrorKind::failed, "the session " + session.id + " now names the volumes " + joined(json(volume_names(session))) + ", not " +
                                               joined(replica["volumes"]) + " (nothing was written)");
        return session;
    }
    return std::nullopt;
}

ReplicaSession RecoveryRunner::replica_session(const json& order) {
    if (auto session = find_replica_session(order)) return *session;
    throw Error(ErrorKind::failed, "the adapter " + order["replica"]["adapter"].get<std::string>() + " has no session " +
                                       order["replica"]["session"].get<std::string>() + " any more (nothing was written)");
}

std::string RecoveryRunner::replica_disk_path(const json& order, const json& made, std::size_t disk) const {
    return order["replica"]["use"] == "in_place" ? made["replica_paths"].at(disk).get<std::string>() : made["volumes"].at(disk)["path"].get<std::string>();
}

void RecoveryRunner::replica_step(const RecoveryRecord& recovery, const std::string& name, std::int64_t index, json& made) {
    const json& order = recovery.order;
    const std::string use = order["replica"]["use"];
    hypervisor::Hypervisor site(settings_of(order));
    const auto said = [&](const std::string& message) { event(recovery.id, {{"event", "step_said"}, {"step", name}, {"message", message}}); };
    if (name == "replica.check") {
        // Before the freeze: what the adapter says now, held against the pool. A volume the
        // hypervisor does not have, or one too small for its disk, stops the recovery here.
        const ReplicaSession session = replica_session(order);
        if (session.hypervisor != order["hypervisor"]["name"])
            throw Error(ErrorKind::failed, "the session " + session.id + " is now on the hypervisor " + session.hypervisor + " (nothing was written)");
        if (session.state != "replicating" && session.state != "frozen")
            throw Error(ErrorKind::failed, "the session " + session.id + " is " + session.state + (session.detail.empty() ? "" : " (" + session.detail + ")") +
                                               " (nothing was written)");
        json paths = json::array();
        for (std::size_t i = 0; i < session.volumes.size(); ++i) {
            const std::string& volume = session.volumes[i].volume;
            if (!site.has_volume(volume))
                throw Error(ErrorKind::failed, "the adapter names the volume " + volume + ", which the pool " + order["hypervisor"]["pool"].get<std::string>() +
                                                   " does not have (nothing was written)");
            const std::uint64_t bytes = site.volume_bytes(volume), needed = order["disks"][i]["source_bytes"];
            if (bytes < needed)
                throw Error(ErrorKind::failed, "the volume " + volume + " has " + std::to_string(bytes) + " bytes, fewer than disk " + std::to_string(i + 1) +
                                                   "'s " + std::to_string(needed) + " (nothing was written)");
            const std::string path = site.volume_path(volume);
            std::error_code no_file;
            // Direct mode writes the volumes itself; the helper VM is lent them by libvirt.
            if (order["mode"] == "direct" && !fs::is_regular_file(path, no_file))
                throw Error(ErrorKind::failed, "the volume " + volume + " is not a file this controller can open (" + path + "): direct mode needs a local dir pool");
            paths.push_back(path);
        }
        made["replica_paths"] = paths;
        // Frozen by someone else before the button: a failure leaves it frozen, as it found it.
        made["found_frozen"] = session.state == "frozen";
        if (!contains(made["vms"], order["vm"]["name"])) site.check_vm_name_free(order["vm"]["name"]);
        said("the replica " + session.adapter + "/" + session.id + " is " + session.state + ": " + joined(json(volume_names(session))));
    } else if (name == "replica.make_journals") {
        // Recorded before each is made: a volume a restart finds unfinished is ours, and made again
        // (a journal volume must be all zero when its first record is written).
        if (!made["journal_volumes"].is_array()) made["journal_volumes"] = json::array();
        for (const json& disk : order["disks"]) {
            const std::string volume = disk["journal_volume"];
            json* entry = nullptr;
            for (json& made_one : made["journal_volumes"])
                if (made_one["name"] == volume) entry = &made_one;
            if (entry && !(*entry)["path"].get<std::string>().empty()) continue;
            if (!entry) {
                // Another's volume of that name is never taken, nor written over.
                if (site.has_volume(volume)) throw Error(ErrorKind::failed, "the pool holds a volume " + volume + " already (nothing was frozen or written)");
                made["journal_volumes"].push_back({{"name", volume}, {"path", ""}});
                store_->step_done(recovery.id, index, made, now());
                entry = &made["journal_volumes"].back();
            } else if (site.has_volume(volume)) {
                site.delete_volume(volume);  // ours, cut short by a restart
            }
            (*entry)["path"] = site.create_volume(volume, journal_volume_bytes).path;
            store_->step_done(recovery.id, index, made, now());
            said("made " + volume + " for the undo journal of " + disk["volume"].get<std::string>());
        }
    } else if (name == "replica.drop_journals") {
        drop_journals(site, made);
    } else if (name == "replica.freeze") {
        if (made.value("frozen_at", 0.0) > 0) return;  // frozen before a restart
        // Recorded before the call: a controller stopped during it resumes the session on a failure.
        made["frozen"] = true;
        store_->step_done(recovery.id, index, made, now());
        const SessionAnswer frozen = freeze_session(replica_adapter(order), replica_session(order));
        made["frozen_at"] = unix_seconds();
        said("froze the replica" + (frozen.generation ? " at generation " + std::to_string(frozen.generation) : std::string()) +
             (frozen.as_of.empty() ? "" : " (as of " + frozen.as_of + ")"));
    } else if (name == "replica.copy") {
        for (const json& disk : order["disks"]) {
            if (contains(made["volumes"], disk["volume"])) continue;
            // A copy a restart cut short is ours (recorded before it began): made again.
            if (made.value("copying", "") == disk["volume"] && site.has_volume(disk["volume"])) site.delete_volume(disk["volume"]);
            made["copying"] = disk["volume"];
            store_->step_done(recovery.id, index, made, now());
            const auto started = std::chrono::steady_clock::now();
            const hypervisor::MadeVolume copy = site.copy_volume(disk["copy_of"], disk["volume"]);
            made["volumes"].push_back({{"name", copy.name}, {"path", copy.path}});
            made.erase("copying");
            store_->step_done(recovery.id, index, made, now());
            said("copied " + disk["copy_of"].get<std::string>() + " to " + copy.name + " in " +
                 std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()) + " ms");
        }
    } else if (name == "replica.backup") {
        if (order["mode"] == "direct")
            for (std::size_t i = 0; i < order["disks"].size(); ++i) back_up_replica_disk(recovery, i, made);
        else
            back_up_on_helper(recovery, site, index, made);
    } else if (name == "replica.resume") {
        if (made.value("resumed", false)) return;
        if (made.value("found_frozen", false)) {
            made["resumed"] = true;  // nothing to resume: it was frozen before the button, and stays so
            said("the session was frozen before the push button: it stays frozen");
            return;
        }
        resume_session(replica_adapter(order), replica_session(order));
        made["resumed"] = true;
        const double window = unix_seconds() - made.value("frozen_at", unix_seconds());
        made["freeze_window_seconds"] = window;
        event(recovery.id, {{"event", "freeze_window"}, {"seconds", window}, {"use", use}});
    } else if (name == "replica.make_bootable" || name == "replica.inoculate") {
        const std::string part = name == "replica.make_bootable" ? "boot" : "inoculate";
        for (std::size_t i = 0; i < order["disks"].size(); ++i) {
            if (order["mode"] == "direct") {
                run_replica_plan(recovery, i, part, made, index);
                continue;
            }
            // In the helper VM, one job per disk: an undo journal covers one disk.
            made["written"] = true;
            run_on_helper(recovery, site, index, made, name, part + "-disk" + std::to_string(i + 1), [&](const json& inventory, FileGrant& grant) {
                return replica_helper_plan(recovery.id, order, i, part, inventory, settings_.archives_dir, settings_.control->helper_trust().files_url, grant,
                                           settings_.archive_store, settings_.archive_url_lifetime);
            });
        }
    } else if (name == "replica.remove") {
        if (!made.value("removed", false)) {
            // Gone already: a remove the adapter carried out before a stop cut the answer short.
            if (const auto session = find_replica_session(order)) remove_session(replica_adapter(order), *session);
            made["removed"] = true;
        }
        // The point of no return is behind: the replica's volumes are the new VM's disks.
        for (std::size_t i = 0; i < order["disks"].size(); ++i) {
            std::error_code gone;
            fs::remove(fs::path(settings_.work_dir) / recovery.id / ("disk" + std::to_string(i + 1) + ".undo"), gone);
        }
        made["disk_paths"] = made["replica_paths"];
        said("the replication session " + order["replica"]["session"].get<std::string>() + " is removed: its volumes are the new VM's disks");
    } else {
        throw Error(ErrorKind::failed, "no such recovery step: " + name);
    }
}

void RecoveryRunner::run_replica_plan(const RecoveryRecord& recovery, std::size_t disk, const std::string& part, json& made, std::int64_t index) {
    const json& order = recovery.order;
    const std::string path = replica_disk_path(order, made, disk);
    const fs::path work = fs::path(settings_.work_dir) / recovery.id;
    fs::create_directories(work);
    const std::string stem = (work / ("disk" + std::to_string(disk + 1))).string();
    const std::string whole = stem + ".replica-plan.json";
    if (!fs::exists(whole)) {
        // Made once, from the disk as it is before the first write (its table kept or written).
        // From a bucket, through URLs the plan keeps (docs/archive-store.md).
        const ProgramArchive archive = program_archive_of(order, disk, stem + ".urls");
        std::vector<std::string> make{settings_.dagda_binary, "plan", "from-archive", archive.location, "--to", path, "--replica", "-o", whole};
        for (const std::string& option : archive.options()) make.push_back(option);
        for (const json& target : order["inoculate_for"]) make.insert(make.end(), {"--for", target.get<std::string>()});
        for (const json& service : order["replica"]["disable"]) make.insert(make.end(), {"--disable", service.get<std::string>()});
        if (order.contains("drivers")) make.insert(make.end(), {"--drivers", order["drivers"].get<std::string>()});
        const ProgramResult planned = run_program(make);
        if (planned.exit_code != 0) throw Error(ErrorKind::failed, "the plan for " + path + " could not be made: " + last_lines(planned.err, 1));
        if (order.contains("computer_name")) rename_windows(whole, order["computer_name"]);
    }
    std::ifstream in(whole);
    const json plan = plan_part(json::parse(in), part);
    if (plan["steps"].empty()) return;
    const std::string file = stem + "." + part + ".json";
    write_owner_only(file, plan.dump(2));
    std::vector<std::string> command{settings_.dagda_binary, "run", file, "--yes", "--journal", stem + "." + part + ".journal", "--progress", "none"};
    // In place, every write is undoable until the session is removed.
    if (order["replica"]["use"] == "in_place") command.insert(command.end(), {"--undo-journal", stem + ".undo"});
    made["written"] = true;
    store_->step_done(recovery.id, index, made, now());
    const ProgramResult ran = run_program(command);
    if (ran.exit_code != 0) throw Error(ErrorKind::failed, (part == "boot" ? "making " : "inoculating ") + path + (part == "boot" ? " bootable" : "") +
                                                               " failed: " + last_lines(ran.err + ran.out, 1));
    std::string what = plan["name"];
    if (part == "inoculate") {
        what = "Windows inoculated for " + joined(order["inoculate_for"]);
        if (!order["replica"]["disable"].empty()) what += "; turned off: " + joined(order["replica"]["disable"]);
    }
    event(recovery.id, {{"event", "step_said"}, {"step", "replica." + std::string(part == "boot" ? "make_bootable" : "inoculate")},
                        {"message", "disk " + std::to_string(disk + 1) + " (" + path + "): " + what}});
}

std::string RecoveryRunner::settle_replica(const RecoveryRecord& recovery, json& made) {
    const json& order = recovery.order;
    if (!made.value("frozen", false)) {
        if (made.contains("journal_volumes")) {
            hypervisor::Hypervisor site(settings_of(order));
            drop_journals(site, made);  // made before the freeze, never used
        }
        return "; the replica was not touched";
    }
    if (made.value("removed", false)) {
        std::string where;
        for (const json& path : made["replica_paths"]) where += (where.empty() ? "" : ", ") + path.get<std::string>();
        return "; the replication session is removed: the disks " + where +
               " hold the server, made bootable and inoculated; define a VM with them by hand (the plan's profile: dagda ctl recovery " + recovery.id +
               " --json)";
    }
    if (made.value("resumed", false)) return "; replication was resumed after the " + order["replica"]["use"].get<std::string>();
    std::string outcome;
    if (order["mode"] != "direct" && made.contains("helper")) {
        outcome = undo_on_helper(recovery, made);
        if (outcome.find("NOT") != std::string::npos) return outcome;
    } else if (order["replica"]["use"] == "in_place" && made.value("written", false)) {
        for (std::size_t i = 0; i < order["disks"].size(); ++i) {
            const std::string undo = (fs::path(settings_.work_dir) / recovery.id / ("disk" + std::to_string(i + 1) + ".undo")).string();
            const std::string path = made["replica_paths"].at(i);
            if (!fs::exists(undo)) continue;
            const ProgramResult undone = run_program({settings_.dagda_binary, "undo", undo, path, "--yes"});
            if (undone.exit_code != 0)
                return "; the replica could NOT be put back: " + path + " holds part of the boot fix-up and inoculation (" + last_lines(undone.err, 1) +
                       "); put it back with dagda undo " + undo + " " + path + " --yes, then resume the session with its engine; it is still frozen";
        }
        outcome = "; the replica was put back as it was at the freeze";
    }
    if (made.value("found_frozen", false)) return outcome + "; the session stays frozen, as the push button found it";
    try {
        resume_session(replica_adapter(order), replica_session(order));
        made["resumed"] = true;
        event(recovery.id, {{"event", "replica_resumed"}});
    } catch (const std::exception& e) {
        return outcome + "; replication could NOT be resumed (" + e.what() + "): the replica is frozen; resume it with its engine";
    }
    return outcome + (outcome.empty() ? "; " : " and ") + "replication resumed";
}

void RecoveryRunner::drop_journals(hypervisor::Hypervisor& site, json& made) {
    if (!made.contains("journal_volumes")) return;
    for (const json& volume : made["journal_volumes"])
        if (site.has_volume(volume["name"])) site.delete_volume(volume["name"]);
    made.erase("journal_volumes");
}

std::string RecoveryRunner::undo_on_helper(const RecoveryRecord& recovery, json& made) {
    const json& order = recovery.order;
    hypervisor::Hypervisor site(settings_of(order));
    std::string outcome;
    if (order["replica"]["use"] == "in_place" && made.value("written", false)) {
        // The journals are on their own volumes, still lent to the helper with the replica's: a
        // helper that stopped is started again to put the replica back from them.
        const std::string helper = made["helper"].value("vm", "");
        try {
            if (!site.vm_running(helper)) {
                event(recovery.id, {{"event", "step_said"}, {"step", "replica.undo"},
                                    {"message", "the helper VM " + helper + " is off: it is started again to put the replica back from its undo journals"}});
                const auto before = settings_.control->agent("agent-helper-" + order["hypervisor"]["name"].get<std::string>());
                made["helper"]["boot_before"] = before ? before->agent.boot_id : "";
                hypervisor::Domain(site.connection(), helper, hypervisor::Domain::Lookup::must_exist).start();
                wait_for_hello(recovery, site, made);
            }
            for (std::size_t i = 0; i < order["disks"].size(); ++i)
                run_on_helper(recovery, site, -1, made, "replica.undo", "undo-disk" + std::to_string(i + 1), [&](const json& inventory, FileGrant& grant) {
                    return replica_helper_plan(recovery.id, order, i, "undo", inventory, settings_.archives_dir, settings_.control->helper_trust().files_url, grant);
                });
        } catch (const std::exception& e) {
            std::string where;
            for (const json& path : made["replica_paths"]) where += (where.empty() ? "" : ", ") + path.get<std::string>();
            std::string journals;
            for (const json& volume : made.value("journal_volumes", json::array())) journals += (journals.empty() ? "" : ", ") + volume["name"].get<std::string>();
            made["undo_failed"] = true;  // a cleanup keeps the journal volumes: they are how to put it back
            return "; the replica could NOT be put back (" + std::string(e.what()) + "): " + where +
                   " may hold part of the boot fix-up and inoculation; it is still frozen and attached to the helper VM " + helper +
                   "; put it back with dagda undo from the journal volumes (" + journals + "), or restore it from its engine, before resuming the session";
        }
        outcome = "; the replica was put back as it was at the freeze";
    }
    // The helper gives the volumes back before replication goes on; the journals are done with.
    release_helper(recovery, site, made, std::chrono::seconds(0));
    drop_journals(site, made);
    return outcome;
}

}  // namespace dagda::controller
