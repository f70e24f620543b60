// A push button's backup of the frozen replica (docs/vm-recovery.md, "Push button"): captured by
// this controller in direct mode, by the helper VM's agent otherwise, as an incremental on its
// chain's newest generation, and committed into the archive folder or the bucket only once it is
// whole and verified (docs/archive-store.md, "Replicas and push buttons").

#include "controller/HelperPlan.hpp"
#include "controller/ProgramOutput.hpp"
#include "controller/RecoveryRunner.hpp"
#include "core/Error.hpp"
#include "core/Subprocess.hpp"
#include "recovery/ServerArchives.hpp"

#include <filesystem>

namespace dagda::controller {

using nlohmann::json;
namespace fs = std::filesystem;

void RecoveryRunner::back_up_replica_disk(const RecoveryRecord& recovery, std::size_t disk, json& made) {
    const json& order = recovery.order;
    const json& d = order["disks"][disk];
    const bool bucket = order.value("store", "") == "bucket";
    if (committed_size(order, disk)) return;  // committed before a restart
    // The capture is written beside its chain, or with a bucket in the recovery's folder, then put
    // into the bucket once verified.
    const fs::path work = fs::path(settings_.work_dir) / recovery.id;
    fs::create_directories(work);
    const std::string file = fs::path(d["archive"].get<std::string>()).filename().string();
    const std::string archive = bucket ? (work / file).string() : d["archive"].get<std::string>(), partial = archive + ".partial";
    std::error_code stale;
    fs::remove(partial, stale);  // one a restart cut short: its name is this recovery's alone
    const std::string source = made["replica_paths"].at(disk);
    // Incremental on the chain's newest generation now: a base named when the recovery was
    // planned may have been followed since, and a second file on it would fork the chain.
    const ProgramArchive base = bucket ? program_archive(*settings_.archive_store, order["server"], chain_newest(order, disk),
                                                         (work / ("disk" + std::to_string(disk + 1) + "-base.urls")).string(), std::chrono::hours(6))
                                       : ProgramArchive{(fs::path(settings_.archives_dir) / order["server"].get<std::string>() / chain_newest(order, disk)).string()};
    std::vector<std::string> capture{settings_.dagda_binary, "tib", "capture", "--disk", source, partial, "--base", base.location, "--progress", "none"};
    for (const std::string& option : base.options()) capture.push_back(option);
    const ProgramResult captured = run_program(capture);
    if (captured.exit_code != 0) {
        std::error_code gone;
        fs::remove(partial, gone);
        throw Error(ErrorKind::failed, "backing up " + source + " failed: " + last_lines(captured.err, 1));
    }
    // Committed (given its name in the chain) only once it is whole and verified.
    std::vector<std::string> verify{settings_.dagda_binary, "tib", "verify", partial};
    for (const std::string& option : base.options()) verify.push_back(option);
    const ProgramResult verified = run_program(verify);
    if (verified.exit_code != 0) throw Error(ErrorKind::failed, "the backup of " + source + " did not verify: " + last_lines(verified.err + verified.out, 1));
    fs::rename(partial, archive);
    const std::uint64_t bytes = fs::file_size(archive);
    if (bucket) {
        // A multipart upload, resumed after a restart, checked once complete (docs/archive-store.md).
        try {
            settings_.archive_store->put_file(d["archive"].get<std::string>(), archive, stopping_);
        } catch (const Error&) {
            if (stopping_) throw ControllerStopping();  // neither done nor failed: taken again after the restart
            throw;
        }
        fs::remove(archive);
    }
    event(recovery.id, {{"event", "step_said"}, {"step", "replica.backup"},
                        {"message", "backed up " + source + " as " + file + " (" + std::to_string(bytes) + " bytes" + (bucket ? ", into the bucket)" : ")")}});
}

std::optional<std::uint64_t> RecoveryRunner::committed_size(const json& order, std::size_t disk) const {
    const std::string archive = order["disks"][disk]["archive"];
    if (order.value("store", "") == "bucket") {
        if (!settings_.archive_store) throw Error(ErrorKind::failed, "this recovery writes into the archive store's bucket, and this controller has none now");
        return settings_.archive_store->size_in(archive);
    }
    std::error_code none;
    if (!fs::exists(archive, none)) return std::nullopt;
    return fs::file_size(archive, none);
}

ProgramArchive RecoveryRunner::program_archive_of(const json& order, std::size_t disk, const std::string& urls_path) const {
    const std::string archive = order["disks"][disk]["archive"];
    if (order.value("store", "") != "bucket") return ProgramArchive{archive};
    if (!settings_.archive_store) throw Error(ErrorKind::failed, "this recovery reads the archive store's bucket, and this controller has none now");
    return program_archive(*settings_.archive_store, order["server"], archive.substr(archive.find('/') + 1), urls_path, settings_.archive_url_lifetime);
}

std::string RecoveryRunner::chain_newest(const json& order, std::size_t disk) const {
    const json& d = order["disks"][disk];
    const recovery::ServerSummary server =
        settings_.archive_store ? settings_.archive_store->server(order["server"]) : recovery::server_in(settings_.archives_dir, order["server"]);
    for (const recovery::ChainSummary& chain : server.chains)
        if (!chain.generations.empty() && chain.generations.front().file == d["chain"].get<std::string>()) return chain.newest;
    throw Error(ErrorKind::failed, "the chain that begins with " + d["chain"].get<std::string>() + " is not whole in the archive store");
}

void RecoveryRunner::back_up_on_helper(const RecoveryRecord& recovery, hypervisor::Hypervisor& site, std::int64_t index, json& made) {
    const json& order = recovery.order;
    // The bases are fixed before the job: once it has committed its files, they are the newest.
    if (!made.contains("backup_bases")) {
        json bases = json::array();
        for (std::size_t i = 0; i < order["disks"].size(); ++i) bases.push_back(chain_newest(order, i));
        made["backup_bases"] = bases;
        store_->step_done(recovery.id, index, made, now());
    }
    run_on_helper(recovery, site, index, made, "replica.backup", "backup", [&](const json& inventory, FileGrant& grant) {
        return backup_helper_plan(recovery.id, order, made["backup_bases"], inventory, settings_.archives_dir, settings_.control->helper_trust().files_url, grant,
                                  settings_.archive_store, settings_.archive_url_lifetime);
    });
    // The helper's captures return once the controller has verified and committed each upload.
    for (std::size_t i = 0; i < order["disks"].size(); ++i) {
        const std::string archive = order["disks"][i]["archive"];
        const std::optional<std::uint64_t> bytes = committed_size(order, i);
        if (!bytes) throw Error(ErrorKind::failed, "the helper's backup ended, but " + archive + " was not committed");
        event(recovery.id, {{"event", "step_said"}, {"step", "replica.backup"},
                            {"message", "the helper backed up the replica as " + fs::path(archive).filename().string() + " (" + std::to_string(*bytes) +
                                            " bytes, verified by the controller)"}});
    }
}

}  // namespace dagda::controller
