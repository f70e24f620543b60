#include "recovery/ServerArchives.hpp"

#include "core/Error.hpp"
#include "disk/Layout.hpp"
#include "disk/SfdiskJson.hpp"
#include "image/ArchiveChain.hpp"
#include "image/source/ByteSource.hpp"
#include "core/Url.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

namespace dagda::recovery {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

/// The file name an archive was opened by: the last part of its path, or of its URL (unescaped).
std::string file_name(const std::string& name) {
    const std::string last = fs::path(name.substr(0, name.find('?'))).filename().string();
    if (!image::is_url(name)) return last;
    return url_unescaped(last).value_or(last);
}

/// The chain that ends at `newest`, as far as it opens.
ChainSummary chain_at(const ServerFiles& files, const std::string& newest) {
    ChainSummary chain;
    chain.newest = newest;
    try {
        const image::ChainWalk walk = image::walk_chain(files.location(newest), files.access);
        chain.broken = walk.broken;
        const image::TibArchive& tip = *walk.archives.front();
        chain.host = tip.generation().value("host", std::string());
        chain.disk_bytes = tip.generation().value("disk_size", std::uint64_t{0});
        if (tip.layout()) chain.table = disk::to_string(disk::parse_layout_json(*tip.layout()).label);
        if (const json& machine = tip.generation().value("machine", json::object()); machine.is_object()) {
            chain.cpus = machine.value("cpus", 0u);
            chain.memory_mib = machine.value("memory_mib", std::uint64_t{0});
        }
        for (const auto& v : tip.volumes())
            chain.volumes.push_back({v.number, v.filesystem, v.volume_size, v.used_blocks * v.block_size});
        const bool whole = walk.broken.empty();
        for (std::size_t i = walk.archives.size(); i-- > 0;) {
            const image::TibArchive& archive = *walk.archives[i];
            chain.generations.push_back({whole ? static_cast<unsigned>(walk.archives.size() - i) : 0u, file_name(archive.name()),
                                         archive.generation().value("created", std::string()), archive.is_incremental() ? "incremental" : "full",
                                         archive.trailer().file_size});
        }
    } catch (const std::exception& e) {  // a file that is not a TIB, or a corrupt one: listed as such
        chain.broken = e.what();
        chain.generations.clear();
        chain.volumes.clear();
    }
    return chain;
}

/// The base file name each readable archive of the server names.
std::set<std::string> bases_named(const ServerFiles& files) {
    std::set<std::string> bases;
    for (const std::string& file : files.files) {
        try {
            const image::TibArchive archive(image::open_source(files.location(file), files.access));
            const auto& base = archive.generation()["base"];
            if (base.is_object() && base.contains("name") && base["name"].is_string()) bases.insert(base["name"].get<std::string>());
        } catch (const std::exception&) {  // unreadable: its own chain, listed as broken
        }
    }
    return bases;
}

/// The *.tib files of a server's folder. A link is not followed: a server's archives are its
/// folder's own files.
std::vector<std::string> folder_files(const fs::path& folder) {
    std::vector<std::string> files;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(folder, error))
        if (!entry.is_symlink(error) && entry.is_regular_file(error) && entry.path().extension() == ".tib") files.push_back(entry.path().filename().string());
    std::sort(files.begin(), files.end());
    return files;
}

ServerSummary server_at(const fs::path& folder) {
    ServerFiles files;
    files.name = folder.filename().string();
    files.files = folder_files(folder);
    files.location = [folder](const std::string& file) { return (folder / file).string(); };
    return summarize_server(files);
}

}  // namespace

ServerSummary summarize_server(const ServerFiles& files) {
    ServerSummary server;
    server.name = files.name;
    const std::set<std::string> bases = bases_named(files);
    for (const std::string& file : files.files)
        if (!bases.count(file)) server.chains.push_back(chain_at(files, file));
    // Disk 1, 2, … in the order of the full backups the chains begin with: a disk keeps its
    // number as generations land (newest names may sort otherwise from one generation to the next).
    const auto first_file = [](const ChainSummary& chain) { return chain.generations.empty() ? chain.newest : chain.generations.front().file; };
    std::stable_sort(server.chains.begin(), server.chains.end(),
                     [&](const ChainSummary& a, const ChainSummary& b) { return first_file(a) < first_file(b); });
    bool whole = !server.chains.empty();
    unsigned fewest = ~0u;
    for (const ChainSummary& chain : server.chains) {
        whole = whole && chain.broken.empty();
        fewest = std::min<unsigned>(fewest, static_cast<unsigned>(chain.generations.size()));
    }
    server.generations = whole ? fewest : 0;
    return server;
}

std::vector<ServerSummary> servers_in(const std::string& archives) {
    std::vector<fs::path> folders;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(archives, error))
        if (entry.is_directory(error) && !entry.is_symlink(error)) folders.push_back(entry.path());
    if (error) throw Error(ErrorKind::failed, "cannot list the archive folder " + archives + ": " + error.message());
    std::sort(folders.begin(), folders.end());
    std::vector<ServerSummary> servers;
    for (const fs::path& folder : folders) {
        ServerSummary server = server_at(folder);
        if (!server.chains.empty()) servers.push_back(std::move(server));
    }
    return servers;
}

ServerSummary server_in(const std::string& archives, const std::string& name) {
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos || name.find('\0') != std::string::npos)
        throw Error(ErrorKind::usage, "a server is a folder of the archive folder, named without '/' or \"..\": \"" + name + "\"");
    const fs::path folder = fs::path(archives) / name;
    std::error_code error;
    if (!fs::is_directory(fs::symlink_status(folder, error))) throw Error(ErrorKind::failed, "there is no server \"" + name + "\" in the archive folder");
    ServerSummary server = server_at(folder);
    if (server.chains.empty()) throw Error(ErrorKind::failed, "the server \"" + name + "\" has no archives (*.tib) in its folder");
    return server;
}

}  // namespace dagda::recovery
