// Helper mode of a recovery to a new VM (docs/vm-recovery.md): the helper VM, one per hypervisor,
// boots the Dagda live ISO with the new VM's disks attached under serial numbers the controller
// chose; its agent, enrolled by the controller itself, runs one plan for every disk and powers
// off; the disks are then detached and handed to the new VM. The helper and its ISO stay on the
// hypervisor (off) for the next recovery; what each step did is in "made", so a restarted
// controller goes on, and a cleanup detaches the disks before it removes them.

#include "controller/HelperPlan.hpp"
#include "controller/RecoveryProgress.hpp"
#include "controller/RecoveryRunner.hpp"

#include "core/Error.hpp"
#include "hypervisor/SettingsDisc.hpp"
#include "image/format/Sha256.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

namespace dagda::controller {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

/// Says which VM is ours: define_helper redefines only a VM whose description is this.
constexpr const char* helper_description =
    "Dagda helper VM: boots the Dagda live ISO to restore recovered servers' disks; the Dagda controller redefines it for each recovery";

std::string helper_vm_name(const json& order) { return "dagda-helper-" + order["hypervisor"]["name"].get<std::string>(); }
std::string helper_enrolment(const json& order) { return "helper-" + order["hypervisor"]["name"].get<std::string>(); }

/// The live ISO's volume: named by its content, so a new image is uploaded once and an old one is never overwritten.
std::string iso_volume_name(const std::string& iso) {
    std::ifstream in(iso, std::ios::binary);
    if (!in) throw Error(ErrorKind::failed, "cannot read the helper's live ISO " + iso);
    image::format::Sha256 digest;
    std::vector<char> buffer(1 << 20);
    while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0)
        digest.update(buffer.data(), static_cast<std::size_t>(in.gcount()));
    return "dagda-live-" + image::format::to_hex(digest.finish()).substr(0, 16) + ".iso";
}

std::string wss_of(std::string url) {
    if (url.rfind("https://", 0) == 0) return "wss://" + url.substr(8);
    return url;
}

}  // namespace

hypervisor::VmSpec RecoveryRunner::helper_spec(const RecoveryRecord& recovery, hypervisor::Hypervisor& site, const json& made, bool attached) const {
    const json& order = recovery.order;
    hypervisor::VmSpec spec;
    spec.name = helper_vm_name(order);
    spec.description = helper_description;
    spec.flavour = site.flavour();
    spec.domain_type = site.domain_type();
    spec.cpus = 2;
    spec.memory_mib = 1536;  // the live image runs from RAM
    spec.disk_bus = "sata";  // QEMU's SATA disks carry the serials the plan names them by
    spec.cdrom = made["helper"]["iso"];
    spec.nic_model = "virtio";
    const std::string network = order["hypervisor"]["network"];
    spec.network = network.empty() ? "user" : network;
    // The helper's console, where the controller can read it: a hypervisor on this host.
    if (order["hypervisor"]["uri"].get<std::string>().rfind("qemu:///", 0) == 0)
        spec.serial_log = (fs::path(settings_.work_dir) / recovery.id / "helper-console.log").string();
    if (attached) {
        spec.settings_cdrom = made["helper"]["settings"];
        // A push button lends the helper the replica's own volumes (never listed in "volumes",
        // which a cleanup deletes) to fix in place or back up; every recovery its new ones.
        const bool replica = made["helper"].value("lent", "") == "replica";
        for (std::size_t i = 0; i < order["disks"].size(); ++i)
            spec.disks.push_back({replica ? made["replica_paths"].at(i).get<std::string>() : made["volumes"].at(i)["path"].get<std::string>(),
                                  order["disks"][i]["serial"].get<std::string>()});
        // With the replica in place, each disk's undo journal volume.
        if (replica && made.contains("journal_volumes"))
            for (std::size_t i = 0; i < order["disks"].size(); ++i)
                spec.disks.push_back({made["journal_volumes"].at(i)["path"].get<std::string>(), order["disks"][i]["journal_serial"].get<std::string>()});
    }
    return spec;
}

void RecoveryRunner::helper_step(const RecoveryRecord& recovery, const std::string& name, std::int64_t index, json& made) {
    if (!settings_.control || settings_.helper_iso.empty()) throw Error(ErrorKind::failed, "this controller has no helper ISO (--helper-iso)");
    hypervisor::Hypervisor site(hypervisor::HypervisorSettings{recovery.order["hypervisor"]["uri"], recovery.order["hypervisor"]["pool"],
                                                               recovery.order["hypervisor"]["network"], recovery.order["hypervisor"]["credentials_file"]});
    const std::string helper = helper_vm_name(recovery.order);
    if (name == "helper.prepare") return prepare_helper(recovery, site, index, made);
    if (name == "helper.attach" || name == "helper.attach_replica") {
        made["helper"]["lent"] = name == "helper.attach" ? "new" : "replica";
        site.define_helper(helper_spec(recovery, site, made, true));  // off first: ours, and no other recovery runs beside this one
        made["helper"]["attached"] = true;
    } else if (name == "helper.start") {
        if (site.vm_running(helper)) return;  // started before a restart
        // The agent's boot before this start: its hello after it must come from a new boot.
        const auto before = settings_.control->agent("agent-" + helper_enrolment(recovery.order));
        made["helper"]["boot_before"] = before ? before->agent.boot_id : "";
        store_->step_done(recovery.id, index, made, now());
        fs::create_directories(fs::path(settings_.work_dir) / recovery.id);
        hypervisor::Domain(site.connection(), helper, hypervisor::Domain::Lookup::must_exist).start();
    } else if (name == "helper.hello") {
        wait_for_hello(recovery, site, made);
    } else if (name == "helper.restore") {
        run_helper_job(recovery, site, index, made);
    } else if (name == "helper.detach") {
        // A push button's own plans (fix-up, inoculation, backup) leave the helper up, so that it
        // can still undo until the session is removed: told to power off now. A restore's plan
        // ends with the power-off itself.
        const bool restored = made["helper"].contains("jobs") && made["helper"]["jobs"].contains("restore");
        if (recovery.order.contains("replica") && !restored && site.vm_running(helper))
            run_on_helper(recovery, site, index, made, name, "poweroff-" + std::to_string(index), [&](const json&, FileGrant&) {
                return json{{"dagda_plan", 1}, {"name", recovery.id + ": power the helper off"}, {"steps", json::array({{{"step", "machine.poweroff"}}})}};
            });
        release_helper(recovery, site, made, settings_.helper_poweroff);
    } else {
        throw Error(ErrorKind::failed, "no such recovery step: " + name);
    }
}

void RecoveryRunner::prepare_helper(const RecoveryRecord& recovery, hypervisor::Hypervisor& site, std::int64_t index, json& made) {
    const json& order = recovery.order;
    json& helper = made["helper"];
    if (!helper.is_object()) helper = json::object();
    helper["vm"] = helper_vm_name(order);
    helper["attached"] = false;
    // The live ISO, uploaded through libvirt (the pool may be on another host) unless it is there.
    // An upload a kill cut short is marked in "made", and made again on the resume.
    const std::string iso = iso_volume_name(settings_.helper_iso);
    if (helper.value("uploading", "") == iso && site.has_volume(iso)) site.delete_volume(iso);
    if (!site.has_volume(iso)) {
        event(recovery.id, {{"event", "step_said"}, {"step", "helper.prepare"}, {"message", "uploading the live ISO as " + iso}});
        helper["uploading"] = iso;
        store_->step_done(recovery.id, index, made, now());
        site.upload_volume(iso, settings_.helper_iso);
        helper.erase("uploading");
    }
    helper["iso"] = site.volume_path(iso);
    // Its settings: a fresh token for the helper's enrolment on a CD made for this boot.
    const HelperTrust trust = settings_.control->helper_trust();
    const std::string token = settings_.control->renew_token(helper_enrolment(order));
    const std::string words = "dagda.mode=agent dagda.controller=" + wss_of(trust.controller_url) + " dagda.pin=" + trust.pin +
                              " dagda.enrolment=" + helper_enrolment(order) + " dagda.token=" + token;
    const fs::path work = fs::path(settings_.work_dir) / recovery.id;
    fs::create_directories(work);
    const std::string disc = (work / "helper-settings.iso").string();
    // Named for this recovery: a cleanup deletes its own CD, never another recovery's.
    const std::string settings_volume = helper_vm_name(order) + "-" + recovery.id + "-settings.iso";
    helper["settings_volume"] = settings_volume;  // recorded before it exists: a cleanup deletes it whatever happens next
    store_->step_done(recovery.id, index, made, now());
    try {
        // Vendor drivers for the new VM's bus travel on the CD too: the live image copies them to
        // /run/dagda-drivers, where the helper's plan inoculates from.
        hypervisor::write_settings_disc(disc, {words, trust.ca_pem, order.value("drivers", std::string())});
        if (site.has_volume(settings_volume)) site.delete_volume(settings_volume);  // this step's before a restart: its token is void now
        helper["settings"] = site.upload_volume(settings_volume, disc).path;
    } catch (...) {
        fs::remove(disc);
        throw;
    }
    fs::remove(disc);
    store_->step_done(recovery.id, index, made, now());
    // Defined (or redefined) without disks: the next step attaches them.
    site.define_helper(helper_spec(recovery, site, made, false));
}

void RecoveryRunner::wait_for_hello(const RecoveryRecord& recovery, hypervisor::Hypervisor& site, const json& made) {
    const std::string agent_id = "agent-" + helper_enrolment(recovery.order), helper = made["helper"]["vm"];
    const std::string before = made["helper"].value("boot_before", "");
    const auto deadline = std::chrono::steady_clock::now() + settings_.helper_hello;
    while (!stopping_) {
        const auto presence = settings_.control->agent(agent_id);
        if (presence && presence->connected && presence->agent.boot_id != before) {
            event(recovery.id, {{"event", "step_said"}, {"step", "helper.hello"}, {"message", "the helper's agent " + agent_id + " said hello"}});
            return;
        }
        if (!site.vm_running(helper)) throw Error(ErrorKind::failed, "the helper VM " + helper + " stopped before its agent said hello");
        if (cancel_running_) {
            site.stop_vm(helper);  // as when it never says hello: off, its disks still attached for the cleanup
            throw RecoveryCancelled();
        }
        if (std::chrono::steady_clock::now() > deadline) {
            site.stop_vm(helper);
            throw Error(ErrorKind::failed, "the helper VM's agent did not say hello within " + std::to_string(settings_.helper_hello.count()) +
                                               " s (can the helper reach " + settings_.control->helper_trust().controller_url +
                                               "? its console is in the recovery's folder when the hypervisor is this host)");
        }
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    throw ControllerStopping();
}

void RecoveryRunner::run_helper_job(const RecoveryRecord& recovery, hypervisor::Hypervisor& site, std::int64_t index, json& made) {
    run_on_helper(recovery, site, index, made, "helper.restore", "restore", [&](const json& inventory, FileGrant& grant) {
        return helper_plan(recovery.id, recovery.order, inventory, settings_.archives_dir, settings_.control->helper_trust().files_url, grant,
                           settings_.archive_store, settings_.archive_url_lifetime);
    });
}

void RecoveryRunner::run_on_helper(const RecoveryRecord& recovery, hypervisor::Hypervisor& site, std::int64_t index, json& made, const std::string& step,
                                   const std::string& slot, const std::function<json(const json& inventory, FileGrant& grant)>& make_plan) {
    const std::string agent_id = "agent-" + helper_enrolment(recovery.order), helper = made["helper"]["vm"];
    json& jobs = made["helper"]["jobs"];
    if (!jobs.is_object()) jobs = json::object();
    if (!jobs.contains(slot)) {
        const auto presence = settings_.control->agent(agent_id);
        if (!presence) throw Error(ErrorKind::failed, "the helper's agent " + agent_id + " is not known");
        FileGrant grant;
        const json plan = make_plan(presence->agent.inventory, grant);
        if (plan["steps"].empty()) {  // nothing of this part to do on this disk (no NTFS to fix)
            jobs[slot] = {{"job", nullptr}};
            return;
        }
        jobs[slot] = {{"job", settings_.control->submit_job(agent_id, plan, grant)}, {"seen", 0}};
        if (index >= 0) store_->step_done(recovery.id, index, made, now());  // -1: a failure's undo, recorded with the failure
        event(recovery.id, {{"event", "step_said"}, {"step", step}, {"message", "the helper runs " + jobs[slot]["job"].get<std::string>() + ": " + plan.value("name", "")}});
    }
    if (jobs[slot]["job"].is_null()) return;
    const std::string job = jobs[slot]["job"];
    std::int64_t seen = jobs[slot].value("seen", std::int64_t{0});
    const auto never = std::chrono::steady_clock::time_point::max();
    auto off_since = never;  // when the helper was first seen off with its job unfinished
    auto last_power_check = std::chrono::steady_clock::time_point{};
    RecoveryProgress progress(step, "helper", [&](json e) { event(recovery.id, std::move(e)); });
    while (!stopping_) {
        // The agent's steps, relayed as the recovery's (progress once a second at most).
        for (auto& [seq, item] : settings_.control->job_events(job, seen).events) {
            seen = seq;
            const std::string kind = item.value("event", "");
            const std::string what = item.value("name", "") + (item.contains("step") && item["step"].is_number_integer()
                                                                     ? " (step " + std::to_string(item["step"].get<std::int64_t>()) + ")" : "");
            if (kind == "step_started" || kind == "step_failed")
                event(recovery.id, {{"event", "step_said"}, {"step", step}, {"message", "helper: " + what + (kind == "step_failed" ? " failed" : "")}});
            progress.on_job_event(item);
        }
        jobs[slot]["seen"] = seen;
        const auto record = settings_.control->job(job);
        if (!record) throw Error(ErrorKind::failed, "the helper's job " + job + " is gone from the database");
        if (record->state == "succeeded") return;
        if (record->state == "failed" || record->state == "cancelled" || record->state == "refused")
            throw Error(ErrorKind::failed, "the helper's job " + job + " " + record->state + (record->reason.empty() ? "" : ": " + record->reason));
        if (cancel_running_) {
            settings_.control->cancel_job(job);  // the helper's agent stops at its next safe point
            throw RecoveryCancelled();
        }
        // A helper that is off with its job unfinished lost its last report: given a minute to be
        // sure. Asked of the hypervisor once a second (an ESXi answers over the network).
        if (std::chrono::steady_clock::now() - last_power_check >= std::chrono::seconds(1)) {
            last_power_check = std::chrono::steady_clock::now();
            if (site.vm_running(helper)) off_since = never;
            else if (off_since == never) off_since = last_power_check;
            else if (last_power_check - off_since > std::chrono::seconds(60)) {
                settings_.control->cancel_job(job);
                throw Error(ErrorKind::failed, "the helper VM " + helper + " is off and its job " + job + " never reported how it ended");
            }
        }
        // A quarter second: the agent's events reach the recovery's page within a second.
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    throw ControllerStopping();
}

void RecoveryRunner::release_helper(const RecoveryRecord& recovery, hypervisor::Hypervisor& site, json& made, std::chrono::seconds patience) {
    if (!made.contains("helper")) return;
    json& helper = made["helper"];
    const std::string name = helper.value("vm", "");
    // Attached only while the helper still holds this recovery's disks: one helper serves every
    // recovery of its hypervisor, and a later one's disks are never touched by this one's cleanup.
    bool attached = helper.value("attached", false) && domain_exists(site.connection(), name);
    if (attached) {
        const std::string definition = site.vm_xml(name);
        attached = std::any_of(recovery.order["disks"].begin(), recovery.order["disks"].end(),
                               [&](const json& disk) { return definition.find("<serial>" + disk["serial"].get<std::string>() + "</serial>") != std::string::npos; });
    }
    if (attached) {
        // The helper's plan ends with its own power-off; a helper that does not is pulled.
        const auto deadline = std::chrono::steady_clock::now() + patience;
        while (site.vm_running(name) && std::chrono::steady_clock::now() < deadline && !stopping_) std::this_thread::sleep_for(std::chrono::seconds(1));
        if (stopping_) throw ControllerStopping();
        if (site.vm_running(name))
            event(recovery.id, {{"event", "step_said"}, {"step", "helper.detach"}, {"message", "the helper did not power off; it is stopped"}});
        site.define_helper(helper_spec(recovery, site, made, false));
    }
    helper["attached"] = false;
    // Its settings CD deleted and its token void, unless another recovery's CD is in the helper now
    // (a cleanup after a restart, while that recovery waits to go on): that one's token stays good.
    const std::string settings_volume = helper.value("settings_volume", "");
    if (!settings_volume.empty() && site.has_volume(settings_volume)) site.delete_volume(settings_volume);
    const std::string definition = domain_exists(site.connection(), name) ? site.vm_xml(name) : "";
    const bool another_recovery_holds_it = definition.find("-settings.iso") != std::string::npos;
    if (settings_.control && !another_recovery_holds_it) settings_.control->renew_token(helper_enrolment(recovery.order));
}

}  // namespace dagda::controller
