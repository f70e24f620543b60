// /api/servers: the servers whose backups the archive store holds (the folder, or a bucket: a
// folder or prefix each), with their chains and generations (docs/api.md, "Servers").

#include "controller/Api.hpp"
#include "controller/ApiError.hpp"
#include "core/Error.hpp"
#include "recovery/ServerArchives.hpp"

namespace dagda::controller {

using nlohmann::json;

namespace {

json server_json(const recovery::ServerSummary& server) {
    json chains = json::array();
    for (const recovery::ChainSummary& chain : server.chains) {
        json generations = json::array();
        for (const recovery::GenerationSummary& g : chain.generations)
            generations.push_back({{"number", g.number == 0 ? json(nullptr) : json(g.number)},
                                   {"file", g.file},
                                   {"created", g.created},
                                   {"kind", g.kind},
                                   {"bytes", g.bytes}});
        json volumes = json::array();
        for (const recovery::VolumeSummary& v : chain.volumes)
            volumes.push_back({{"number", v.number}, {"filesystem", v.filesystem}, {"bytes", v.bytes}, {"used_bytes", v.used_bytes}});
        json item{{"newest", chain.newest}, {"host", chain.host}, {"disk_bytes", chain.disk_bytes},
                  {"table", chain.table.empty() ? json(nullptr) : json(chain.table)}, {"volumes", volumes}, {"generations", generations}};
        if (chain.cpus > 0) item["machine"] = {{"cpus", chain.cpus}, {"memory_mib", chain.memory_mib}};
        if (!chain.broken.empty()) item["broken"] = chain.broken;
        chains.push_back(item);
    }
    return {{"name", server.name}, {"generations", server.generations}, {"chains", chains}};
}

}  // namespace

ApiResponse Api::list_servers() {
    if (!settings_.archive_store) return {200, {{"servers", json::array()}}, ""};
    json servers = json::array();
    for (const recovery::ServerSummary& server : settings_.archive_store->servers()) servers.push_back(server_json(server));
    return {200, {{"servers", servers}, {"store", settings_.archive_store->kind()}}, ""};
}

ApiResponse Api::show_server(const std::string& name) {
    if (!settings_.archive_store) not_found("this controller keeps no archives (no archive folder or store)");
    try {
        return {200, server_json(settings_.archive_store->server(name)), ""};
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::usage) bad_request(e.what());
        not_found(e.what());
    }
}

}  // namespace dagda::controller
