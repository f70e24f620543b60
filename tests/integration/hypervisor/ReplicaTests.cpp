// Issue 15: the built-in replication engine. A server's replica (a volume in a real libvirt dir
// pool) follows its backup generations as they land in the controller's archive folder, each one
// applied as a delta; it equals a full restore of the newest generation byte for byte; a frozen
// replica does not change while newer generations land, and catches up on resume.

#include "common/NtfsEdit.hpp"
#include "common/Run.hpp"
#include "integration/hypervisor/RecoveryBench.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <thread>

using namespace dagda::testing;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

/// The built-in engine's session of srv01 as GET /api/replicas lists it (null while there is none).
json builtin_session(const RecoveryBench& bench) {
    const json answer = bench.controller->api("GET", "/api/replicas")["body"];
    for (const json& s : answer.value("replicas", json::array()))
        if (s.value("adapter", "") == "builtin" && s.value("server", "") == "srv01") return s;
    return nullptr;
}

bool holds_generation(const RecoveryBench& bench, unsigned generation) {
    const json s = builtin_session(bench);
    return s.is_object() && s.value("state", "") == "replicating" && s.value("generation", 0u) == generation;
}

/// What a full restore of the archive file `generation` makes of a blank disk of the source's size.
std::string full_restore(const RecoveryBench& bench, const std::string& generation, const std::string& name) {
    const std::string disk = bench.dir.file(name);
    REQUIRE(run("truncate -s " + std::to_string(fs::file_size(bench.source)) + " " + sh_quote(disk)).exit_code == 0);
    const RunResult restored = run(dagda_command() + " tib restore " + sh_quote(generation) + " " + sh_quote(disk) + " --disk --yes --progress none");
    INFO(restored.err);
    REQUIRE(restored.exit_code == 0);
    return disk;
}

}  // namespace

TEST_CASE("replicas: the built-in engine keeps a server's replica at its newest generation, and a frozen one still",
          "[hypervisor][integration][libvirt][root][replica]") {
    LibvirtDaemons daemons;
    NEEDS_LIBVIRT(daemons);
    RecoveryBench bench;  // generation 1: archives/srv01/disk1.tib
    bench.start_controller({"--replica-scan-seconds", "1"});
    const auto [start, sectors] = partition_extent(bench.source, 2);
    const auto next_generation = [&](const std::string& name, const std::string& base, std::uint64_t bytes) {
        add_random_file(bench.dir, bench.source, start, sectors, name + ".bin", bytes);
        const RunResult captured = run(dagda_command() + " tib capture --disk " + sh_quote(bench.source) + " " +
                                       sh_quote(bench.archives + "/srv01/" + name + ".tib") + " --base " + sh_quote(bench.archives + "/srv01/" + base + ".tib") +
                                       " --progress none");
        INFO(captured.err);
        REQUIRE(captured.exit_code == 0);
        return bench.archives + "/srv01/" + name + ".tib";
    };

    const RunResult added = bench.ctl("replica add srv01 --hypervisor local");
    INFO(added.out << added.err << bench.controller->log());
    REQUIRE(added.exit_code == 0);
    CHECK_THAT(added.out, Catch::Contains("replica-1: replicating srv01 into local's pool: dagda-replica-srv01-disk1.img"));
    // A second session of the same server: refused.
    const RunResult twice = bench.ctl("replica add srv01 --hypervisor local");
    CHECK(twice.exit_code != 0);
    CHECK_THAT(twice.err, Catch::Contains("replicated already, by replica-1"));

    const std::string replica = bench.pool.folder() + "/dagda-replica-srv01-disk1.img";
    REQUIRE(eventually([&] { return holds_generation(bench, 1); }, 120));
    CHECK(file_digest(replica) == file_digest(full_restore(bench, bench.archive, "full1.raw")));

    // Generation 2 lands: applied as a delta (the engine says so), equal to a full restore of it.
    const std::string g2 = next_generation("disk1-g2", "disk1", 3u << 20);
    REQUIRE(eventually([&] { return holds_generation(bench, 2); }, 120));
    CHECK_THAT(builtin_session(bench).value("detail", ""), Catch::Contains("delta from generation 1"));
    CHECK(file_digest(replica) == file_digest(full_restore(bench, g2, "full2.raw")));

    // Frozen: generation 3 lands and is not applied; the replica stays as it was.
    const RunResult frozen = bench.ctl("replica freeze replica-1");
    INFO(frozen.out << frozen.err);
    REQUIRE(frozen.exit_code == 0);
    CHECK_THAT(frozen.out, Catch::Contains("replica-1: frozen"));
    const std::string before = file_digest(replica);
    const std::string g3 = next_generation("disk1-g3", "disk1-g2", 2u << 20);
    std::this_thread::sleep_for(std::chrono::seconds(4));  // four scans
    CHECK(file_digest(replica) == before);
    const RunResult listed = bench.ctl("replicas");
    INFO(listed.out);
    CHECK_THAT(listed.out, Catch::Contains("builtin/replica-1  srv01 on local  frozen  generation 2"));

    // Resumed: it catches up, byte for byte what a full restore of generation 3 makes.
    REQUIRE(bench.ctl("replica resume replica-1").exit_code == 0);
    REQUIRE(eventually([&] { return holds_generation(bench, 3); }, 120));
    CHECK(file_digest(replica) == file_digest(full_restore(bench, g3, "full3.raw")));

    // Removed: the session goes, its volume stays.
    const RunResult removed = bench.ctl("replica remove replica-1");
    INFO(removed.out << removed.err);
    REQUIRE(removed.exit_code == 0);
    CHECK_THAT(removed.out, Catch::Contains("its volumes stay in the pool: dagda-replica-srv01-disk1.img"));
    CHECK(builtin_session(bench).is_null());
    CHECK(fs::exists(replica));
}
