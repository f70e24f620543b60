#pragma once
/// What the replica tests start from (ReplicaTests, PushButtonTests): the recovery bench
/// (srv01's Windows disk captured as generation 1, a controller, the test pool as hypervisor
/// "local") with the controller looking for new generations every second, and the ways a test
/// makes srv01 change and follows its built-in replica.

#include "common/NtfsEdit.hpp"
#include "integration/hypervisor/RecoveryBench.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace dagda::testing {

/// The SHA-256 of `path` in the Windows volume of `disk`, read with ntfscat ("" when it cannot be read).
inline std::string windows_file(const TempDir& dir, const std::string& disk, const std::string& path) {
    const std::string windows = windows_partition(dir, disk);
    const std::string copy = dir.file("read-back.bin");
    if (run("ntfscat " + sh_quote(windows) + " " + sh_quote(path) + " > " + sh_quote(copy)).exit_code != 0) return "";
    return file_digest(copy);
}

struct ReplicaBench : RecoveryBench {
    std::string replica;  ///< the built-in replica's volume file in the pool
    std::string site;     ///< the pool's name as a hypervisor of the controller

    /// `site`: "local", or the pool's own name where a helper VM is made (the pool removes the
    /// helper named after it).
    /// `bucket`: the server's archives are in a bucket of that store, the controller's only store,
    /// which agents reach at `agent_endpoint` (default: its endpoint).
    explicit ReplicaBench(const std::vector<std::string>& extra = {}, int scan_seconds = 1, const std::string& site_name = "local",
                          const RgwSandbox* bucket = nullptr, const std::string& agent_endpoint = "")
        : site(site_name) {
        if (site.empty()) site = pool.name();
        if (bucket) move_to_bucket(*bucket, agent_endpoint.empty() ? bucket->endpoint() : agent_endpoint);
        std::vector<std::string> options{"--replica-scan-seconds", std::to_string(scan_seconds)};
        options.insert(options.end(), extra.begin(), extra.end());
        start_controller(options, site);
        replica = pool.folder() + "/dagda-replica-srv01-disk1.img";
    }
    /// The built-in engine's session of srv01, holding generation 1.
    void add_replica() {
        const RunResult added = ctl("replica add srv01 --hypervisor " + site);
        INFO(added.out << added.err << controller->log());
        REQUIRE(added.exit_code == 0);
        REQUIRE(eventually([&] { return holds_generation(1); }, 120));
    }
    /// The built-in engine's session of srv01 holding generation 2 (a file added since the first).
    void add_replica_at_generation_2() {
        add_replica();
        next_generation("disk1-g2", "disk1", 2u << 20);
        REQUIRE(eventually([&] { return holds_generation(2); }, 120));
    }
    /// The built-in engine's session of srv01 as GET /api/replicas lists it (null when there is none).
    nlohmann::json builtin_session() const {
        const nlohmann::json answer = controller->api("GET", "/api/replicas")["body"];
        for (const nlohmann::json& s : answer.value("replicas", nlohmann::json::array()))
            if (s.value("adapter", "") == "builtin" && s.value("server", "") == "srv01") return s;
        return nullptr;
    }
    bool holds_generation(unsigned generation) const {
        const nlohmann::json s = builtin_session();
        return s.is_object() && s.value("state", "") == "replicating" && s.value("generation", 0u) == generation;
    }
    /// srv01 changed (a new file of `bytes` in its Windows volume) and backed up again as
    /// archives/srv01/NAME.tib on BASE.tib (and put into the bucket, where that is the store); the
    /// new file's path.
    std::string next_generation(const std::string& name, const std::string& base, std::uint64_t bytes) {
        const auto [start, sectors] = partition_extent(source, 2);
        add_random_file(dir, source, start, sectors, name + ".bin", bytes);
        const std::string file = archives + "/srv01/" + name + ".tib";
        const RunResult captured = run(dagda_command() + " tib capture --disk " + sh_quote(source) + " " + sh_quote(file) + " --base " +
                                       sh_quote(archives + "/srv01/" + base + ".tib") + " --progress none");
        INFO(captured.err);
        REQUIRE(captured.exit_code == 0);
        if (!store_settings.empty()) {  // the bucket is the controller's store: it lands there
            objectstore::S3Client client(objectstore::read_bucket_settings(store_settings));
            const std::string content = file_bytes(file);
            client.put("srv01/" + name + ".tib", content.data(), content.size());
        }
        return file;
    }
    /// A push button's backup of disk 1 as the bucket holds it, with no multipart upload left
    /// unfinished there, copied beside its bases in the local archives (to be read with tib); the
    /// copy's path.
    std::string backup_from_bucket() const {
        objectstore::S3Client client(objectstore::read_bucket_settings(store_settings));
        std::string backup;
        for (const auto& object : client.list("srv01/"))
            if (object.key.rfind("srv01/srv01-disk1-", 0) == 0) backup = object.key;
        REQUIRE_FALSE(backup.empty());
        CHECK(client.uploads("").empty());
        const std::string local = archives + "/" + backup;
        REQUIRE(run("curl -sS -o " + sh_quote(local) + " " + sh_quote(client.presigned_get(backup, std::chrono::seconds(60)))).exit_code == 0);
        return local;
    }
    /// What a full restore of the archive file `generation` makes of a blank disk of the source's size.
    std::string full_restore(const std::string& generation, const std::string& name) const {
        const std::string disk = dir.file(name);
        REQUIRE(run("truncate -s " + std::to_string(std::filesystem::file_size(source)) + " " + sh_quote(disk)).exit_code == 0);
        const RunResult restored = run(dagda_command() + " tib restore " + sh_quote(generation) + " " + sh_quote(disk) + " --disk --yes --progress none");
        INFO(restored.err);
        REQUIRE(restored.exit_code == 0);
        return disk;
    }
};

}  // namespace dagda::testing
