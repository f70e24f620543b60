// A `backup` job: one of an agent's disks backed up into the controller's archive folder, as
// SERVER/TIMESTAMP.tib, a full backup or an incremental on one of the server's chains. The plan's
// one step (image.capture) reads the chain and uploads the new generation by URLs of the job's
// own grant; the controller commits the file only once it has verified it (docs/api.md, "Uploads").

#include "controller/Api.hpp"

#include "controller/ApiError.hpp"
#include "core/Error.hpp"
#include "core/OpenBeneath.hpp"
#include "core/Url.hpp"
#include "protocol/Proof.hpp"
#include "recovery/InventoryTarget.hpp"
#include "recovery/RecoveryPlan.hpp"
#include "recovery/ServerArchives.hpp"

#include <ctime>
#include <filesystem>
#include <optional>
#include <set>

namespace dagda::controller {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

/// A new name in the server's folder, by the time of the backup so that names sort by age
/// (20261205T163000Z.tib), never one a file, an upload or another queued backup already has.
std::string new_generation_name(const fs::path& folder, Store& store, const std::set<std::string>& taken) {
    const std::time_t now = std::time(nullptr);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", std::gmtime(&now));
    for (unsigned n = 1;; ++n) {
        const std::string name = std::string(stamp) + (n == 1 ? "" : "-" + std::to_string(n)) + ".tib";
        std::error_code none;
        if (!taken.count(name) && !fs::exists(fs::symlink_status(folder / name, none)) && !fs::exists(fs::symlink_status(folder / (name + ".upload"), none)) &&
            !store.upload_pending(folder.filename().string() + "/" + name))
            return name;
    }
}

/// Whether a server's folder holds any archive (a folder made for a first backup may hold none).
bool holds_archives(const fs::path& folder) {
    std::error_code none;
    if (!fs::is_directory(fs::symlink_status(folder, none))) return false;
    for (const auto& entry : fs::directory_iterator(folder, none))
        if (entry.path().extension() == ".tib") return true;
    return false;
}

}  // namespace

json Api::backup_plan_for(const AgentRecord& agent, const json& backup, FileGrant& grant) {
    refuse_unknown_keys(backup, {"server", "disk", "chain", "full", "level"}, "\"backup\"");
    if (!backup.contains("server") || !backup["server"].is_string()) bad_request("\"backup\" needs a \"server\" (its folder's name in the archive folder)");
    const std::string server = backup["server"];
    if (server.empty() || server.size() > 255 || server.front() == '.' || server.find('/') != std::string::npos || server.find('\0') != std::string::npos)
        bad_request("\"server\" is a plain folder name (no '/', not hidden): \"" + server + "\"");
    const bool full = backup.value("full", false);
    if (backup.contains("full") && !backup["full"].is_boolean()) bad_request("\"full\" must be true or false");
    if (backup.contains("chain") && (!backup["chain"].is_string() || full)) bad_request("\"chain\" is the file name of the full backup a chain begins with, without \"full\"");
    if (backup.contains("level") && (!backup["level"].is_number_unsigned() || backup["level"].get<unsigned>() > 19)) bad_request("\"level\" must be 0 to 19");
    if (backup.contains("disk") && !backup["disk"].is_string()) bad_request("\"disk\" must be a string (path, serial, WWN or by-id/by-path name)");
    // With a bucket, uploads land in the staging folder and go on to the bucket once verified.
    const bool bucket = settings_.archive_store && std::string(settings_.archive_store->kind()) == "bucket";
    const std::string uploads_dir = bucket ? settings_.staging_dir : settings_.archives_dir;
    if (uploads_dir.empty() || settings_.files_url.empty()) bad_request("this controller keeps no archive folder or store");
    try {
        const recovery::RecoveryTarget source = recovery::inventory_target(agent.inventory, backup.value("disk", ""));
        // An incremental goes on a chain's newest generation: the server's only chain, or the one
        // named by the full backup it begins with.
        std::string base;
        const fs::path folder = fs::path(uploads_dir) / server;
        std::optional<recovery::ServerSummary> summary;
        if (bucket) {
            summary = settings_.archive_store->find_server(server);  // none: no backups of it yet
        } else if (holds_archives(folder)) {
            summary = recovery::server_in(settings_.archives_dir, server);
        }
        std::set<std::string> taken;
        for (const recovery::ChainSummary& chain : summary ? summary->chains : std::vector<recovery::ChainSummary>{})
            for (const recovery::GenerationSummary& g : chain.generations) taken.insert(g.file);
        if (!full && summary) {
            const std::string wanted = backup.value("chain", "");
            if (wanted.empty() && summary->chains.size() > 1)
                bad_request("the server \"" + server + "\" has " + std::to_string(summary->chains.size()) +
                            " chains: name the one to continue (\"chain\": its full backup's file name), or ask for a full backup");
            for (const recovery::ChainSummary& chain : summary->chains) {
                if (chain.generations.empty() || (!wanted.empty() && chain.generations.front().file != wanted)) continue;
                if (!chain.broken.empty()) bad_request("the chain of " + chain.newest + " is broken (" + chain.broken + "); ask for a full backup");
                base = chain.newest;
            }
            if (base.empty() && !wanted.empty()) bad_request("the server \"" + server + "\" has no chain that begins with " + wanted);
        } else if (backup.contains("chain")) {
            bad_request("the server \"" + server + "\" has no backups yet: its first is a full backup");
        }
        std::optional<ChainAccess> base_chain;
        if (!base.empty() && bucket) {
            // The agent reads the base's chain straight from the bucket, as a recovery does.
            base_chain = settings_.archive_store->chain(server, base, settings_.archive_url_lifetime);
        } else if (!base.empty()) {
            // Every file of the chain a regular file inside the archive folder, as a recovery's.
            open_beneath_or_throw(settings_.archives_dir, server + "/" + base, "the chain's file \"" + base + "\"");
            grant.names = recovery::chain_file_names((folder / base).string());
            for (std::string& name : grant.names) {
                name = server + "/" + name;
                open_beneath_or_throw(settings_.archives_dir, name, "the chain's file \"" + name + "\"");
            }
        }
        fs::create_directories(folder);
        const std::string file = new_generation_name(folder, store_, taken);
        grant.uploads = {{server + "/" + file, base.empty() ? "" : server + "/" + base}};
        // A key of this job's own: its URLs read this chain and write this one file while it runs.
        grant.key = protocol::random_nonce();
        std::string files_url = settings_.files_url;
        while (!files_url.empty() && files_url.back() == '/') files_url.pop_back();
        const std::string origin = files_url.substr(0, files_url.size() - std::string("/files").size());
        const std::string escaped_server = url_path_escaped(server);
        json capture{{"step", "image.capture"}, {"disk", "source"},
                     {"output", origin + "/uploads/" + grant.key + "/" + escaped_server + "/" + url_path_escaped(file)}};
        if (!base.empty()) capture["base"] = base_chain ? base_chain->agent_location : files_url + "/" + grant.key + "/" + escaped_server + "/" + url_path_escaped(base);
        if (backup.contains("level")) capture["level"] = backup["level"];
        json plan{{"dagda_plan", 1},
                  {"name", "back up " + source.description + " as " + server + "/" + file + (base.empty() ? " (full)" : " (incremental on " + base + ")")},
                  {"disks", {{"source", source.identity}}},
                  {"steps", json::array({capture})}};
        if (base_chain) plan["archive_urls"] = base_chain->agent_urls;
        return plan;
    } catch (const Error& e) {
        bad_request(e.what());
    }
}

}  // namespace dagda::controller
