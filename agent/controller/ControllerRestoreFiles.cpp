// POST /api/recoveries/ID/restore-files (docs/api.md, "Files of a generation"): files or folders
// of a later generation of the server brought back onto the disk of the VM a recovery made,
// before that VM runs. The controller runs the same `windows.restore_files` step an agent runs,
// as `dagda run` of a one-step plan on the VM's volume file, so it is done only where that file
// is on this machine (a local pool, direct or helper mode) and the VM is not running; libvirt's
// calls and the copy block, so all of it runs on a console work thread.

#include "controller/ApiError.hpp"
#include "controller/ArchiveUrlsFile.hpp"
#include "controller/ControllerHttp.hpp"
#include "controller/ControllerServer.hpp"
#include "controller/ProgramOutput.hpp"
#include "controller/RecoveryStore.hpp"

#include "core/Error.hpp"
#include "core/OwnerOnlyFile.hpp"
#include "core/Subprocess.hpp"
#include "hypervisor/Hypervisor.hpp"
#include "recovery/ServerArchives.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

#include <filesystem>
#include <fstream>

namespace dagda::controller {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct RestoreFilesRequest {
    std::string generation;
    std::vector<std::string> paths;
    std::optional<std::int64_t> volume;
    std::size_t disk = 1;
};

RestoreFilesRequest parse_restore_files(const std::string& body) {
    const json doc = json::parse(body, nullptr, false);
    if (!doc.is_object()) bad_request("the body is {\"generation\": FILE, \"paths\": [PATH, …], \"volume\"?: N, \"disk\"?: N}");
    refuse_unknown_keys(doc, {"generation", "paths", "volume", "disk"}, "a restore of files");
    RestoreFilesRequest out;
    if (!doc.contains("generation") || !doc["generation"].is_string()) bad_request("\"generation\" is one of the server's generation files");
    out.generation = doc["generation"];
    if (!doc.contains("paths") || !doc["paths"].is_array() || doc["paths"].empty() || doc["paths"].size() > 100)
        bad_request("\"paths\" is 1 to 100 files or folders of the volume");
    for (const json& path : doc["paths"]) {
        if (!path.is_string()) bad_request("each of \"paths\" is a path in the volume (a string)");
        check_volume_path(path.get<std::string>());
        out.paths.push_back(path);
    }
    if (doc.contains("volume")) {
        if (!doc["volume"].is_number_integer() || doc["volume"].get<std::int64_t>() < 0) bad_request("\"volume\" is a volume's number");
        out.volume = doc["volume"].get<std::int64_t>();
    }
    if (doc.contains("disk")) {
        if (!doc["disk"].is_number_integer() || doc["disk"].get<std::int64_t>() < 1) bad_request("\"disk\" is the VM's disk, 1 for the first");
        out.disk = doc["disk"].get<std::size_t>();
    }
    return out;
}

}  // namespace

json ControllerServer::restore_files(const std::string& id, const std::string& body) {
    const RestoreFilesRequest asked = parse_restore_files(body);
    RecoveryStore recoveries(settings_.state_dir + "/controller.db");
    const auto record = recoveries.get(id);
    if (!record) not_found("no recovery \"" + id.substr(0, 64) + "\"");
    if (record->state != "succeeded") conflict(id + " is " + record->state + ": files are brought back onto the VM of a recovery that succeeded");
    const json& order = record->order;
    if (asked.disk > order["disks"].size()) bad_request(id + "'s VM has " + std::to_string(order["disks"].size()) + " disk(s)");
    const std::size_t d = asked.disk - 1;
    const json& made = record->made;
    const std::string volume = made.contains("disk_paths") ? made["disk_paths"].at(d).get<std::string>() : made["volumes"].at(d)["path"].get<std::string>();
    std::error_code none;
    if (!fs::is_regular_file(volume, none))
        conflict("the VM's disk " + volume + " is not a file on this controller's machine: bring the files back with the VM's helper or an agent");
    // The generation must be of the chain this disk was recovered from.
    const std::string server = order["server"], restored = fs::path(order["disks"][d]["archive"].get<std::string>()).filename().string();
    bool found = false;
    for (const recovery::ChainSummary& chain : listed_server(server).chains) {
        bool ours = false, has = false;
        for (const recovery::GenerationSummary& g : chain.generations) {
            ours = ours || g.file == restored;
            has = has || g.file == asked.generation;
        }
        found = found || (ours && has);
    }
    if (!found) not_found("server " + server + " has no generation " + asked.generation + " on the chain of disk " + std::to_string(asked.disk));
    const json& h = order["hypervisor"];
    hypervisor::Hypervisor site({h["uri"], h["pool"], h["network"], h["credentials_file"]});
    const std::string vm = order["vm"]["name"];
    if (site.vm_running(vm)) conflict("the VM " + vm + " is running: files are brought back only while it is off, before Windows uses its disk");
    const fs::path work = fs::path(settings_.state_dir) / "recoveries" / id;
    fs::create_directories(work);
    const std::string stem = (work / ("restore-files-" + std::to_string(now()))).string();
    // From a bucket, the plan reads the generation's chain through pre-signed URLs, which it keeps.
    const ProgramArchive archive =
        settings_.archives_dir.empty() ? program_archive(*archive_store_, server, asked.generation, stem + ".urls", std::chrono::hours(1))
                                       : ProgramArchive{settings_.archives_dir + "/" + server + "/" + asked.generation};
    // The same step an agent runs, on the VM's volume file.
    json step{{"step", "windows.restore_files"}, {"disk", "vm"}, {"archive", archive.location}, {"paths", asked.paths}};
    if (asked.volume) step["volume"] = *asked.volume;
    json plan{{"dagda_plan", 1}, {"disks", {{"vm", {{"path", volume}, {"size", fs::file_size(volume)}}}}}, {"steps", json::array({step})}};
    if (!archive.urls.empty()) plan["archive_urls"] = archive.urls;
    write_owner_only(stem + ".plan.json", plan.dump(2));
    ProgramBounds bounds;
    bounds.timeout = std::chrono::hours(1);
    const ProgramResult ran =
        run_bounded_program({dagda_binary_, "run", stem + ".plan.json", "--yes", "--journal", stem + ".journal", "--progress", "none"}, bounds);
    if (ran.exit_code != 0)
        throw ApiError(422, "failed", without_folder("bringing the files back failed: " + last_lines(ran.err + ran.out, 4), settings_.archives_dir));
    return {{"id", id}, {"vm", vm}, {"generation", asked.generation}, {"restored", asked.paths}};
}

asio::awaitable<bool> ControllerServer::serve_restore_files(beast::ssl_stream<beast::tcp_stream>& stream,
                                                           const http::request<http::string_body>& request, const Caller& caller,
                                                           const std::string& address, const std::string& id) {
    int status = 200;
    json body;
    std::string allow;
    if (request.method() != http::verb::post) {
        allow = "POST";
        status = 405;
        body = refusal("method_not_allowed", std::string(request.method_string()) + " is not allowed here; use POST");
    } else if (!archive_store_) {
        status = 404;
        body = refusal("not_found", "this controller keeps no archives (no archive folder or store)");
    } else if (!restoring_.insert(id).second) {
        status = 409;
        body = refusal("conflict", "files are already being brought back onto " + id + "'s VM");
    } else {
        const std::string text = request.body();
        co_await on_console_work([&] {
            try {
                body = restore_files(id, text);
            } catch (const ApiError& e) {
                status = e.status();
                body = refusal(e.code(), e.what());
            } catch (const std::exception& e) {
                status = 422;
                body = refusal("failed", without_folder(e.what(), settings_.archives_dir));
            }
            return 0;
        });
        restoring_.erase(id);
    }
    if (caller.kind != Caller::Kind::nobody)
        accounts_->audit(now(), caller.user, address, "POST /api/recoveries/" + id + "/restore-files " + request.body().substr(0, 200),
                         status < 400 ? "ok" : "refused: " + body.value("message", ""));
    auto response = json_response(request.version(), request.keep_alive(), status, body, allow);
    co_await http::async_write(stream, response, asio::use_awaitable);
    co_return request.keep_alive();
}

}  // namespace dagda::controller
