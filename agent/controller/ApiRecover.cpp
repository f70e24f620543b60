// A `recover` job: the whole-server plan made here from an archive in the controller's archive
// folder, onto a disk of the agent's inventory. The archive is read from the folder (to see its
// layout and whether it holds Windows); the plan names it by the URL the controller serves it
// at, so the agent streams it over HTTPS instead of needing the file.

#include "controller/Api.hpp"

#include "controller/ApiError.hpp"
#include "controller/ArchiveNames.hpp"
#include "core/Error.hpp"
#include "core/OpenBeneath.hpp"
#include "core/Url.hpp"
#include "protocol/Proof.hpp"
#include "recovery/InventoryTarget.hpp"
#include "recovery/RecoveryPlan.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>

namespace dagda::controller {

namespace {

using nlohmann::json;

/// A file of the archive folder, FILE or a server's SERVER/FILE, never a path: the operator names
/// an archive, not a place on the controller's disk.
void check_archive_name(const std::string& name) {
    if (!archive_file_name(name))
        bad_request("\"archive\" is a file of the controller's archive folder, FILE or SERVER/FILE (no other '/', no \"..\"): \"" + name + "\"");
}

std::optional<unsigned> generation_of(const json& recover) {
    if (!recover.contains("generation")) return std::nullopt;
    const json& value = recover["generation"];
    if (!value.is_number_integer() || value.get<std::int64_t>() < 1 || value.get<std::int64_t>() > 1000000)
        bad_request("\"generation\" must be an integer >= 1 (1 = the full backup)");
    return static_cast<unsigned>(value.get<std::int64_t>());
}

/// The windows.inoculate arguments: for the catalog names given, else the agent's own
/// controllers; and a driver folder on the agent's side.
json inoculation_of(const json& recover) {
    json inoculation = json::object();
    if (recover.contains("for")) {
        const json& names = recover["for"];
        if (!names.is_array() || names.empty() || !std::all_of(names.begin(), names.end(), [](const json& n) { return n.is_string(); }))
            bad_request("\"for\" must be a non-empty array of catalog names (strings)");
        inoculation["for"] = names;
    } else {
        inoculation["auto"] = true;
    }
    if (recover.contains("drivers")) {
        if (!recover["drivers"].is_string() || recover["drivers"].get<std::string>().empty())
            bad_request("\"drivers\" must be a folder on the agent (a string)");
        inoculation["drivers"] = recover["drivers"];
    }
    return inoculation;
}

std::string optional_text(const json& recover, const char* key) {
    if (!recover.contains(key)) return "";
    if (!recover[key].is_string() || recover[key].get<std::string>().empty()) bad_request(std::string("\"") + key + "\" must be a non-empty string");
    return recover[key].get<std::string>();
}

}  // namespace

/// A recovery from the archive store's bucket: the agent reads the generation's chain straight
/// from the store, through pre-signed URLs for exactly the chain's objects that last as long as
/// a job's URLs do; the controller grants no file of its own and is not in the data path.
json Api::bucket_recovery_plan(const AgentRecord& agent, const std::string& name, std::optional<unsigned> generation, const std::string& disk,
                               const json& inoculation) {
    const std::size_t slash = name.find('/');
    if (slash == std::string::npos) bad_request("an archive of the archive store is named SERVER/FILE: \"" + name + "\"");
    const std::string server_name = name.substr(0, slash);
    std::string file = name.substr(slash + 1);
    try {
        if (generation) {
            // Generation N of the chain that ends at FILE: the chain's Nth file, oldest first.
            const recovery::ServerSummary server = settings_.archive_store->server(server_name);
            std::optional<std::string> found;
            for (const recovery::ChainSummary& chain : server.chains)
                for (std::size_t i = 0; i < chain.generations.size(); ++i)
                    if (chain.generations[i].file == file) {
                        if (*generation < 1 || *generation > i + 1)
                            throw Error(ErrorKind::usage, name + " is generation " + std::to_string(i + 1) + " of its chain; the generation must be 1 to " +
                                                              std::to_string(i + 1));
                        found = chain.generations[*generation - 1].file;
                    }
            if (!found) throw Error(ErrorKind::failed, "server " + server_name + " has no generation " + file);
            file = *found;
        }
        const ChainAccess chain = settings_.archive_store->chain(server_name, file, settings_.archive_url_lifetime);
        const recovery::RecoveryTarget target = recovery::inventory_target(agent.inventory, disk);
        json plan = recovery::recovery_plan({chain.location, chain.agent_location, chain.access}, target, inoculation);
        plan["archive_urls"] = chain.agent_urls;
        return plan;
    } catch (const Error& e) {
        bad_request(e.what());
    }
}

json Api::recovery_plan_for(const AgentRecord& agent, const json& recover, FileGrant& grant) {
    refuse_unknown_keys(recover, {"archive", "generation", "disk", "for", "drivers", "then"}, "\"recover\"");
    if (!recover.contains("archive") || !recover["archive"].is_string()) bad_request("\"recover\" needs an \"archive\" (a file name)");
    const std::string name = recover["archive"].get<std::string>();
    check_archive_name(name);
    const std::optional<unsigned> generation = generation_of(recover);
    const std::string disk = optional_text(recover, "disk");
    const json inoculation = inoculation_of(recover);
    // What the machine does once it is recovered: boot the restored server, or power off (a VM
    // whose disk is handed over). Default: nothing, the live image stays up for the operator.
    const std::string then = optional_text(recover, "then");
    if (!then.empty() && then != "reboot" && then != "poweroff") bad_request("\"then\" must be \"reboot\" or \"poweroff\"");
    if (settings_.archive_store && std::string(settings_.archive_store->kind()) == "bucket") {
        json plan = bucket_recovery_plan(agent, name, generation, disk, inoculation);
        if (!then.empty()) plan["steps"].push_back({{"step", "machine." + then}});
        return plan;
    }
    if (settings_.archives_dir.empty() || settings_.files_url.empty()) bad_request("this controller serves no archive folder");
    const std::filesystem::path local = std::filesystem::path(settings_.archives_dir) / name;
    std::error_code no_status;
    if (!std::filesystem::exists(std::filesystem::symlink_status(local, no_status)))
        bad_request("there is no archive \"" + name + "\" in the controller's archive folder");
    try {
        // Every file of the chain must be a regular file inside the archive folder: a symbolic
        // link out of it (to the operator's token, say) is refused before it is read as an archive.
        open_beneath_or_throw(settings_.archives_dir, name, "the archive \"" + name + "\"");
        const recovery::RecoveryTarget target = recovery::inventory_target(agent.inventory, disk);
        // A generation's file is beside the one named (the chain's files share a folder), so its
        // URL is beside the archive folder's URL too.
        const std::string open = recovery::generation_location(local.string(), generation);
        // A server's chain is in its folder: the grant, and the URL, name SERVER/FILE.
        const std::string folder = name.find('/') == std::string::npos ? "" : name.substr(0, name.find('/') + 1);
        for (const std::string& file : recovery::chain_file_names(open)) grant.names.push_back(folder + file);
        for (const std::string& file : grant.names) open_beneath_or_throw(settings_.archives_dir, file, "the chain's file \"" + file + "\"");
        // A key of this job's own: its URLs read this chain while the job runs, and nothing else.
        grant.key = protocol::random_nonce();
        std::string files_url = settings_.files_url;
        while (!files_url.empty() && files_url.back() == '/') files_url.pop_back();
        const std::string reference = files_url + "/" + grant.key + "/" + (folder.empty() ? "" : url_path_escaped(folder.substr(0, folder.size() - 1)) + "/") +
                                      url_path_escaped(std::filesystem::path(open).filename().string());
        json plan = recovery::recovery_plan({open, reference}, target, inoculation);
        if (!then.empty()) plan["steps"].push_back({{"step", "machine." + then}});
        return plan;
    } catch (const Error& e) {
        bad_request(e.what());
    }
}

}  // namespace dagda::controller
