#include "controller/ReplicaEngine.hpp"

#include "controller/ArchiveUrlsFile.hpp"
#include "controller/ProgramOutput.hpp"
#include "core/Error.hpp"
#include "core/Subprocess.hpp"
#include "hypervisor/Hypervisor.hpp"
#include "recovery/ServerArchives.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

namespace dagda::controller {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

hypervisor::HypervisorSettings hypervisor_settings(const json& h) {
    return {h["uri"], h["pool"], h["network"], h["credentials_file"]};
}

}  // namespace

ReplicaEngine::ReplicaEngine(ReplicaEngineSettings settings) : settings_(std::move(settings)) {}

ReplicaEngine::~ReplicaEngine() {
    stopping_ = true;
    changed_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void ReplicaEngine::start() {
    store_ = std::make_unique<ReplicaStore>(settings_.database);
    thread_ = std::thread([this] { loop(); });
}

void ReplicaEngine::wake() {
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        woken_ = true;
    }
    changed_.notify_all();
}

std::int64_t ReplicaEngine::now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

ReplicaRecord ReplicaEngine::add(const std::string& server_name, const HypervisorRecord& hypervisor, std::int64_t at) {
    const recovery::ServerSummary server = settings_.archives->server(server_name);
    if (server.generations == 0) throw Error(ErrorKind::usage, "server " + server_name + " has no whole generation to replicate");
    json volumes = json::array();
    for (std::size_t i = 0; i < server.chains.size(); ++i) {
        const recovery::ChainSummary& chain = server.chains[i];
        if (chain.disk_bytes == 0)
            throw Error(ErrorKind::usage, "server " + server_name + "'s " + chain.newest + " is a volume backup: the built-in engine replicates whole disks");
        const std::string disk = std::to_string(i + 1);
        // "chain": the chain's full backup, which names it for good (the server lists its chains
        // by their newest files, whose order may change as generations land).
        volumes.push_back({{"disk", i + 1}, {"volume", "dagda-replica-" + server_name + "-disk" + disk + ".img"}, {"bytes", chain.disk_bytes},
                           {"chain", chain.generations.front().file}, {"made", false}});
    }
    const json where{{"name", hypervisor.name}, {"uri", hypervisor.uri}, {"pool", hypervisor.pool}, {"network", hypervisor.network},
                     {"credentials_file", hypervisor.credentials_file}};
    std::string id;
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        for (const ReplicaRecord& other : store_->list())
            if (other.server == server_name) throw Error(ErrorKind::refused, "server " + server_name + " is replicated already, by " + other.id);
        id = store_->add(server_name, where, volumes, at);
    }
    wake();
    return *session(id);
}

std::vector<ReplicaRecord> ReplicaEngine::sessions() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return store_->list();
}

std::optional<ReplicaRecord> ReplicaEngine::session(const std::string& id) {
    const std::lock_guard<std::mutex> lock(mutex_);
    return store_->get(id);
}

std::string ReplicaEngine::freeze_soon(const std::string& id) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (!store_->get(id)) throw Error(ErrorKind::usage, "no replication session " + id);
    store_->set_frozen(id, true, now());
    return busy_ == id ? "freezing" : "frozen";
}

void ReplicaEngine::loop() {
    while (!stopping_) {
        std::vector<ReplicaRecord> work;
        try {
            work = sessions();
        } catch (const std::exception& e) {
            std::cerr << "dagda controller: replicas: cannot read the database: " << e.what() << "\n";
        }
        for (const ReplicaRecord& listed : work) {
            if (stopping_) break;
            if (listed.frozen) continue;
            try {
                bring_up_to_date(listed);
            } catch (const std::exception& e) {
                std::cerr << "dagda controller: " << listed.id << " (" << listed.server << "): " << e.what() << "\n";
                try {
                    const std::lock_guard<std::mutex> lock(mutex_);
                    if (store_->get(listed.id)) store_->set_state(listed.id, "failed", e.what(), now());
                } catch (const std::exception&) {  // the database failed: said above
                }
            }
        }
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait_for(lock, settings_.scan, [this] { return woken_ || stopping_.load(); });
        woken_ = false;
    }
}

void ReplicaEngine::make_volumes(ReplicaRecord& session) {
    hypervisor::Hypervisor site(hypervisor_settings(session.hypervisor));
    for (json& volume : session.volumes) {
        if (volume["made"].get<bool>()) continue;
        // A volume of that name the session did not make is never taken over (nor deleted).
        const hypervisor::MadeVolume made = site.create_volume(volume["volume"], volume["bytes"]);
        volume["made"] = true;
        volume["path"] = made.path;
        const std::lock_guard<std::mutex> lock(mutex_);
        store_->set_volumes(session.id, session.volumes, now());  // recorded at once: never made twice
    }
    const std::lock_guard<std::mutex> lock(mutex_);
    store_->set_state(session.id, "syncing", "volumes made; restoring the first generation", now());
    session.state = "syncing";
}

/// The engine is writing a session's volumes while this lives (claim() marked it busy): a freeze
/// waits for it to end, a remove is refused meanwhile.
class ReplicaEngine::Busy {
public:
    explicit Busy(ReplicaEngine& engine) : engine_(engine) {}
    ~Busy() {
        {
            const std::lock_guard<std::mutex> lock(engine_.mutex_);
            engine_.busy_.clear();
        }
        engine_.changed_.notify_all();
    }
    Busy(const Busy&) = delete;
    Busy& operator=(const Busy&) = delete;

private:
    ReplicaEngine& engine_;
};

std::optional<ReplicaRecord> ReplicaEngine::claim(const std::string& id, std::optional<Busy>& busy) {
    // Frozen is read and busy_ set under one lock: a freeze either sees the write under way (and
    // waits for it), or this sees the freeze (and writes nothing).
    const std::lock_guard<std::mutex> lock(mutex_);
    auto record = store_->get(id);
    if (!record || record->frozen) return std::nullopt;
    busy_ = id;
    busy.emplace(*this);
    return record;
}

const recovery::ChainSummary& ReplicaEngine::chain_of(const recovery::ServerSummary& server, const json& volume) {
    for (const recovery::ChainSummary& chain : server.chains)
        if (!chain.generations.empty() && chain.generations.front().file == volume["chain"].get<std::string>()) return chain;
    throw Error(ErrorKind::failed, "the chain that begins with " + volume["chain"].get<std::string>() + " (disk " + std::to_string(volume["disk"].get<unsigned>()) +
                                       ") is not in the server's archives any more: remove the session and add it again");
}

void ReplicaEngine::bring_up_to_date(ReplicaRecord session) {
    const bool unmade = std::any_of(session.volumes.begin(), session.volumes.end(), [](const json& v) { return !v["made"].get<bool>(); });
    const recovery::ServerSummary server = settings_.archives->server(session.server);
    if (server.chains.size() != session.volumes.size())
        throw Error(ErrorKind::failed, "the server now has " + std::to_string(server.chains.size()) + " disk chains, the replica " +
                                           std::to_string(session.volumes.size()) + " volumes: remove the session and add it again");
    const unsigned target = session.applying ? session.applying : server.generations;
    if (target == 0) throw Error(ErrorKind::failed, "the server has no whole generation now (a chain is broken)");
    if (target < session.generation)
        throw Error(ErrorKind::failed, "the server has " + std::to_string(target) + " generations, fewer than the " +
                                           std::to_string(session.generation) + " the replica holds");
    if (target == session.generation && !unmade) {
        if (session.state == "failed") {  // mended (a retried delta of a torn one had nothing left)
            const std::lock_guard<std::mutex> lock(mutex_);
            store_->set_state(session.id, "replicating", "", now());
        }
        return;
    }
    // Work to do: claimed, unless a freeze came first.
    std::optional<Busy> busy;
    const auto claimed = claim(session.id, busy);
    if (!claimed) return;
    session = *claimed;
    if (unmade) make_volumes(session);
    if (!session.applying) {
        // Recorded before the first write: a delta cut half-way is finished before a newer one,
        // whose proof would refuse a volume holding neither its base nor its generation.
        const std::lock_guard<std::mutex> lock(mutex_);
        store_->set_applying(session.id, target, now());
    }
    const auto started = std::chrono::steady_clock::now();
    std::vector<std::size_t> full_copies;  // disks a refused delta restored in full
    fs::create_directories(settings_.work_dir);
    for (std::size_t disk = 0; disk < session.volumes.size(); ++disk) {
        if (stopping_) throw Error(ErrorKind::failed, "the controller is stopping; generation " + std::to_string(target) + " is applied after its restart");
        const json& volume = session.volumes[disk];
        const recovery::ChainSummary& chain = chain_of(server, volume);
        const std::string stem = (fs::path(settings_.work_dir) / (session.id + "-disk" + std::to_string(disk + 1))).string();
        // From a bucket, read straight from the store through URLs in a file of the controller's.
        const ProgramArchive archive =
            program_archive(*settings_.archives, session.server, chain.generations.at(target - 1).file, stem + ".urls", std::chrono::hours(24));
        std::vector<std::string> restore{settings_.dagda_binary, "tib", "restore", archive.location, volume["path"], "--disk", "--yes",
                                         "--expect-size", std::to_string(volume["bytes"].get<std::uint64_t>()),
                                         "--checkpoint", stem + ".checkpoint", "--progress", "none"};
        for (const std::string& option : archive.options()) restore.push_back(option);
        ProgramResult result;
        if (session.generation) {
            std::vector<std::string> delta = restore;
            delta.insert(delta.end(), {"--onto-generation", std::to_string(session.generation)});
            result = run_program(delta);
            // Refused (the source was repartitioned, its boot track changed, or the volume does
            // not hold its generation any more): the replica is resynchronised by a full restore.
            if (result.exit_code == 3) {
                std::cerr << "dagda controller: " << session.id << ": the delta to generation " << target << " was refused ("
                          << last_lines(result.err, 1) << "); restoring it in full\n";
                full_copies.push_back(disk + 1);
                result = run_program(restore);
            }
        } else {
            result = run_program(restore);
        }
        if (result.exit_code != 0)
            throw Error(ErrorKind::failed, "applying generation " + std::to_string(target) + " to " + volume["volume"].get<std::string>() +
                                               " failed: " + last_lines(result.err + result.out, 1));
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::string how = session.generation ? "delta from generation " + std::to_string(session.generation) : "first copy";
    for (const std::size_t disk : full_copies) how += "; disk " + std::to_string(disk) + " in full, its delta refused";
    char took[32];
    std::snprintf(took, sizeof took, "%.2f", seconds);
    const std::lock_guard<std::mutex> lock(mutex_);
    store_->applied(session.id, target, chain_of(server, session.volumes.front()).generations.at(target - 1).created,
                    "generation " + std::to_string(target) + " applied (" + how + ", " + took + " s)", now());
    std::cerr << "dagda controller: " << session.id << " (" << session.server << ") holds generation " << target << " (" << how << ", " << took << " s)\n";
}

}  // namespace dagda::controller
