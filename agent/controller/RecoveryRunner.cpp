#include "controller/RecoveryRunner.hpp"

#include "controller/HelperPlan.hpp"
#include "controller/ProgramOutput.hpp"
#include "controller/PushButtonOrder.hpp"
#include "controller/RecoveryProgress.hpp"

#include "core/Error.hpp"
#include "core/Subprocess.hpp"
#include "hypervisor/Hypervisor.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace dagda::controller {

using nlohmann::json;
namespace fs = std::filesystem;

bool RecoveryRunner::contains(const json& list, const std::string& name) {
    for (const json& item : list)
        if (item.value("name", std::string()) == name) return true;
    return false;
}

hypervisor::HypervisorSettings RecoveryRunner::settings_of(const json& order) {
    const json& h = order["hypervisor"];
    return {h["uri"], h["pool"], h["network"], h["credentials_file"]};
}

void RecoveryRunner::rename_windows(const std::string& plan_file, const std::string& computer_name) {
    std::ifstream in(plan_file);
    json plan = json::parse(in, nullptr, false);
    if (plan.is_discarded() || !plan.contains("steps")) throw Error(ErrorKind::failed, plan_file + " is not a plan");
    std::ofstream(plan_file) << with_new_identity(std::move(plan), computer_name).dump(2);
}

RecoveryRunner::RecoveryRunner(RecoveryRunnerSettings settings) : settings_(std::move(settings)) {}

RecoveryRunner::~RecoveryRunner() {
    stopping_ = true;
    woken_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void RecoveryRunner::start() {
    store_ = std::make_unique<RecoveryStore>(settings_.database);
    thread_ = std::thread([this] { loop(); });
}

void RecoveryRunner::wake() {
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        pending_ = true;
    }
    woken_.notify_all();
}

void RecoveryRunner::cancel(const std::string& id) {
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        cancels_.insert(id);
        if (id == running_) cancel_running_ = true;
        pending_ = true;
    }
    woken_.notify_all();
}

void RecoveryRunner::check_cancel() const {
    if (cancel_running_) throw RecoveryCancelled();
}

std::int64_t RecoveryRunner::now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void RecoveryRunner::event(const std::string& id, json event) {
    event["at"] = now();
    store_->add_event(id, std::move(event));
}

void RecoveryRunner::loop() {
    while (!stopping_) {
        std::optional<RecoveryRecord> next;
        try {
            next = store_->next_to_run();
        } catch (const std::exception& e) {
            std::cerr << "dagda controller: recoveries: cannot read the database: " << e.what() << "\n";
        }
        if (next) {
            try {
                run(std::move(*next));
                continue;
            } catch (const std::exception& e) {  // the database failed under a step's record: said, and tried again later
                std::cerr << "dagda controller: recoveries: " << e.what() << "\n";
            }
        }
        std::unique_lock<std::mutex> lock(mutex_);
        woken_.wait_for(lock, std::chrono::seconds(5), [this] { return pending_ || stopping_.load(); });
        pending_ = false;
    }
}

void RecoveryRunner::clean_up(const RecoveryRecord& recovery) {
    json made = recovery.made;
    try {
        hypervisor::Hypervisor site(settings_of(recovery.order));
        // The helper first: its job ended, its disks detached (they are about to be removed).
        if (made.contains("helper") && made["helper"].contains("jobs") && settings_.control)
            for (const json& job : made["helper"]["jobs"])
                if (job["job"].is_string()) settings_.control->cancel_job(job["job"]);
        if (made.contains("helper")) {
            const bool attached = made["helper"].value("attached", false);
            release_helper(recovery, site, made, std::chrono::seconds(0));
            store_->step_done(recovery.id, recovery.next_step, made, now());
            if (attached) event(recovery.id, {{"event", "cleanup_detached"}, {"name", made["helper"]["vm"]}});
        }
        // A push button's undo journals, detached with the helper's disks above; kept when the
        // replica could not be put back from them, which the operator still has to do.
        if (!made.value("undo_failed", false)) {
            drop_journals(site, made);
            store_->step_done(recovery.id, recovery.next_step, made, now());
        }
        // A copy of a replica a stop cut short (push button with copy): ours, recorded before it began.
        if (made.contains("copying") && site.has_volume(made["copying"])) {
            site.delete_volume(made["copying"]);
            event(recovery.id, {{"event", "cleanup_removed"}, {"kind", "volume"}, {"name", made["copying"]}});
        }
        made.erase("copying");
        for (auto& list : {std::string("vms"), std::string("volumes")}) {
            while (!made[list].empty()) {
                const std::string name = made[list].back()["name"];
                if (list == "vms" && domain_exists(site.connection(), name)) site.remove_vm(name);
                if (list == "volumes" && site.has_volume(name)) site.delete_volume(name);
                made[list].erase(made[list].size() - 1);
                store_->step_done(recovery.id, recovery.next_step, made, now());  // removed: never removed twice
                event(recovery.id, {{"event", "cleanup_removed"}, {"kind", list == "vms" ? "vm" : "volume"}, {"name", name}});
            }
        }
    } catch (const ControllerStopping&) {
        stopping_ = true;
        return;  // still "cleaning": a restart goes on with it
    } catch (const std::exception& e) {
        event(recovery.id, {{"event", "cleanup_failed"}, {"message", e.what()}});
        store_->set_state(recovery.id, "failed", now(), std::string("the cleanup failed: ") + e.what());
        return;
    }
    store_->set_state(recovery.id, "cleaned", now(), recovery.reason);
    event(recovery.id, {{"event", "cleanup_finished"}});
}

void RecoveryRunner::run(RecoveryRecord recovery) {
    if (recovery.state == "cleaning") return clean_up(recovery);
    // A cancel asked before a restart is in the database: the resumed recovery fails as cancelled
    // at its first safe point, as it would have without the restart.
    const bool cancelled_before = recovery.state == "running" && store_->has_event(recovery.id, "recovery_cancel_requested");
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        running_ = recovery.id;
        cancel_running_ = cancelled_before || cancels_.count(recovery.id) > 0;
    }
    struct NothingRunning {
        RecoveryRunner& runner;
        ~NothingRunning() {
            const std::lock_guard<std::mutex> lock(runner.mutex_);
            runner.cancels_.erase(runner.running_);
            runner.running_.clear();
            runner.cancel_running_ = false;
        }
    } nothing_running{*this};
    const json& steps = recovery.order["steps"];
    json made = recovery.made;
    if (recovery.state == "queued") {
        if (!store_->change_state(recovery.id, "queued", "running", now())) return;  // cancelled meanwhile
        event(recovery.id, {{"event", "recovery_started"}, {"steps", steps.size()}});
    } else {
        event(recovery.id, {{"event", "recovery_resumed"}, {"step", recovery.next_step}});
    }
    // The one catch boundary: a step that fails ends the recovery, named; what it made stays
    // listed in "made" for the operator (or a cleanup) to remove.
    for (std::int64_t index = recovery.next_step; index < static_cast<std::int64_t>(steps.size()); ++index) {
        if (stopping_) return;  // a restart goes on from this step
        const json& step = steps[static_cast<std::size_t>(index)];
        const std::string name = step["step"];
        const auto started = std::chrono::steady_clock::now();
        event(recovery.id, {{"event", "step_started"}, {"index", index}, {"step", name}});
        try {
            check_cancel();
            run_step(recovery, step, index, made);
        } catch (const ControllerStopping&) {
            stopping_ = true;  // no step is taken after this one: a restart takes it again
            return;
        } catch (const std::exception& e) {
            event(recovery.id, {{"event", "step_failed"}, {"index", index}, {"step", name}, {"message", e.what()}});
            // A push button says what became of the replica: put back and resumed before the
            // point of no return, or where its disks are after it.
            const std::string outcome = is_push_button(recovery.order) ? settle_replica(recovery, made) : "";
            store_->step_done(recovery.id, index, made, now());
            store_->set_state(recovery.id, "failed", now(), name + " failed: " + e.what() + outcome);
            std::cerr << "dagda controller: " << recovery.id << ": " << name << " failed: " << e.what() << outcome << "\n";
            return;
        }
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        store_->step_done(recovery.id, index + 1, made, now());
        event(recovery.id, {{"event", "step_finished"}, {"index", index}, {"step", name}, {"seconds", seconds}});
    }
    const auto record = store_->get(recovery.id);
    const std::int64_t took = now() - (record ? record->created : now());
    event(recovery.id, {{"event", "recovery_finished"}, {"seconds", took}, {"vm", recovery.order["vm"]["name"]}, {"started", steps.back()["step"] == "vm.start"}});
    store_->set_state(recovery.id, "succeeded", now());
    std::cerr << "dagda controller: " << recovery.id << ": the VM " << recovery.order["vm"]["name"].get<std::string>() << " is defined ("
              << took << " s)\n";
}

void RecoveryRunner::run_step(const RecoveryRecord& recovery, const json& step, std::int64_t index, json& made) {
    const json& order = recovery.order;
    const std::string name = step["step"];
    if (!made.contains("volumes")) made["volumes"] = json::array();
    if (!made.contains("vms")) made["vms"] = json::array();
    if (name == "direct.restore") return restore_disk(recovery, step["disk"].get<std::size_t>(), made);
    if (name.rfind("helper.", 0) == 0) return helper_step(recovery, name, index, made);
    if (name.rfind("replica.", 0) == 0) return replica_step(recovery, name, index, made);
    hypervisor::Hypervisor site(settings_of(order));
    const std::string vm = order["vm"]["name"];
    if (name == "hypervisor.check") {
        // Before anything is made: the name is free and the pool has room for every new disk.
        if (!contains(made["vms"], vm)) site.check_vm_name_free(vm);
        std::uint64_t needed = 0;
        for (const json& disk : order["disks"])
            if (!contains(made["volumes"], disk["volume"])) needed += disk["bytes"].get<std::uint64_t>();
        site.check_room(needed);
    } else if (name == "hypervisor.create_disks") {
        for (const json& disk : order["disks"]) {
            if (contains(made["volumes"], disk["volume"])) continue;  // made before a restart
            const hypervisor::MadeVolume volume = site.create_volume(disk["volume"], disk["bytes"]);
            made["volumes"].push_back({{"name", volume.name}, {"path", volume.path}});
            store_->step_done(recovery.id, index, made, now());  // recorded at once: never made twice, never lost
            event(recovery.id, {{"event", "step_said"}, {"step", name}, {"message", "made " + volume.name + " (" + volume.path + ")"}});
        }
    } else if (name == "vm.define") {
        if (contains(made["vms"], vm)) return;
        hypervisor::VmSpec spec;
        spec.name = vm;
        spec.flavour = site.flavour();
        spec.domain_type = site.domain_type();
        spec.cpus = order["vm"]["cpus"];
        spec.memory_mib = order["vm"]["memory_mib"];
        spec.firmware = hypervisor::firmware_named(order["vm"]["firmware"]);
        spec.disk_bus = order["vm"]["disk_bus"];
        spec.scsi_model = order["vm"]["scsi_model"];
        spec.nic_model = order["vm"]["nic_model"];
        spec.network = order["vm"]["network"];
        // A push button in place: the replica's volumes (never in "volumes": a cleanup must not delete them).
        const json& paths = made.contains("disk_paths") ? made["disk_paths"] : json();
        for (std::size_t i = 0; i < order["disks"].size(); ++i)
            spec.disks.push_back({paths.is_array() ? paths[i].get<std::string>() : made["volumes"][i]["path"].get<std::string>(),
                                  order["disks"][i]["serial"].get<std::string>()});
        site.define_new_vm(spec);
        made["vms"].push_back({{"name", vm}});
    } else if (name == "vm.start") {
        // Only an isolated, renamed test copy is started (VmRecoveryOrder refuses anything else).
        if (!site.vm_running(vm)) hypervisor::Domain(site.connection(), vm, hypervisor::Domain::Lookup::must_exist).start();
    } else {
        throw Error(ErrorKind::failed, "no such recovery step: " + name);
    }
}

void RecoveryRunner::restore_disk(const RecoveryRecord& recovery, std::size_t disk, const json& made) {
    const json& order = recovery.order;
    const std::string volume = made["volumes"].at(disk)["path"];
    const fs::path work = fs::path(settings_.work_dir) / recovery.id;
    fs::create_directories(work);
    const std::string plan = (work / ("disk" + std::to_string(disk + 1) + ".plan.json")).string();
    // The same plan an agent runs, made and run by this program on the pool's volume file.
    // From a bucket: the chain read straight from the store through URLs in a file of ours, which
    // the plan keeps for the restore (made again on each run, so a resumed one gets fresh ones).
    const ProgramArchive archive = program_archive_of(order, disk, (work / ("disk" + std::to_string(disk + 1) + ".urls")).string());
    std::vector<std::string> make{settings_.dagda_binary, "plan", "from-archive", archive.location, "--to", volume, "-o", plan};
    for (const std::string& option : archive.options()) make.push_back(option);
    for (const json& target : order["inoculate_for"]) make.insert(make.end(), {"--for", target.get<std::string>()});
    if (order.contains("drivers")) make.insert(make.end(), {"--drivers", order["drivers"].get<std::string>()});
    ProgramBounds cancellable;
    cancellable.cancel = &cancel_running_;  // a cancel stops the plan or the restore within 0.2 s
    const ProgramResult planned = run_bounded_program(make, cancellable);
    if (planned.cancelled) throw RecoveryCancelled();
    if (planned.exit_code != 0) throw Error(ErrorKind::failed, "the plan for " + volume + " could not be made: " + last_lines(planned.err, 4));
    if (order.contains("computer_name")) rename_windows(plan, order["computer_name"]);
    const std::string journal = (work / ("disk" + std::to_string(disk + 1) + ".journal")).string();
    // Its steps' progress followed live from its JSON events, as the recovery's.
    RecoveryProgress progress("direct.restore", "disk " + std::to_string(disk + 1), [&](json e) { event(recovery.id, std::move(e)); });
    cancellable.on_line = [&progress](const std::string& line) { progress.on_line(line); };
    const ProgramResult ran =
        run_bounded_program({settings_.dagda_binary, "run", plan, "--yes", "--journal", journal, "--progress", "json"}, cancellable);
    if (ran.cancelled) throw RecoveryCancelled();
    if (ran.exit_code != 0)
        throw Error(ErrorKind::failed, "the restore of " + volume + " failed: " + (progress.failure().empty() ? last_lines(ran.err, 6) : progress.failure()));
    event(recovery.id, {{"event", "step_said"}, {"step", "direct.restore"}, {"message", "restored disk " + std::to_string(disk + 1) + " onto " + volume}});
}

}  // namespace dagda::controller
