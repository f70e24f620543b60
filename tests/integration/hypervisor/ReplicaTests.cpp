// Issue 15: the built-in replication engine. A server's replica (a volume in a real libvirt dir
// pool) follows its backup generations as they land in the controller's archive folder, each one
// applied as a delta; it equals a full restore of the newest generation byte for byte; a frozen
// replica does not change while newer generations land, and catches up on resume.

#include "common/Run.hpp"
#include "integration/hypervisor/ReplicaBench.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <thread>

using namespace dagda::testing;
namespace fs = std::filesystem;

TEST_CASE("replicas: the built-in engine keeps a server's replica at its newest generation, and a frozen one still",
          "[hypervisor][integration][libvirt][root][replica]") {
    LibvirtDaemons daemons;
    NEEDS_LIBVIRT(daemons);
    ReplicaBench bench;  // generation 1: archives/srv01/disk1.tib

    const RunResult added = bench.ctl("replica add srv01 --hypervisor local");
    INFO(added.out << added.err << bench.controller->log());
    REQUIRE(added.exit_code == 0);
    CHECK_THAT(added.out, Catch::Contains("replica-1: replicating srv01 into local's pool: dagda-replica-srv01-disk1.img"));
    // A second session of the same server: refused.
    const RunResult twice = bench.ctl("replica add srv01 --hypervisor local");
    CHECK(twice.exit_code != 0);
    CHECK_THAT(twice.err, Catch::Contains("replicated already, by replica-1"));

    REQUIRE(eventually([&] { return bench.holds_generation(1); }, 120));
    CHECK(file_digest(bench.replica) == file_digest(bench.full_restore(bench.archive, "full1.raw")));

    // Generation 2 lands: applied as a delta (the engine says so), equal to a full restore of it.
    const std::string g2 = bench.next_generation("disk1-g2", "disk1", 3u << 20);
    REQUIRE(eventually([&] { return bench.holds_generation(2); }, 120));
    CHECK_THAT(bench.builtin_session().value("detail", ""), Catch::Contains("delta from generation 1"));
    CHECK(file_digest(bench.replica) == file_digest(bench.full_restore(g2, "full2.raw")));

    // Frozen: generation 3 lands and is not applied; the replica stays as it was.
    const RunResult frozen = bench.ctl("replica freeze replica-1");
    INFO(frozen.out << frozen.err);
    REQUIRE(frozen.exit_code == 0);
    CHECK_THAT(frozen.out, Catch::Contains("replica-1: frozen"));
    const std::string before = file_digest(bench.replica);
    const std::string g3 = bench.next_generation("disk1-g3", "disk1-g2", 2u << 20);
    std::this_thread::sleep_for(std::chrono::seconds(4));  // four scans
    CHECK(file_digest(bench.replica) == before);
    const RunResult listed = bench.ctl("replicas");
    INFO(listed.out);
    CHECK_THAT(listed.out, Catch::Contains("builtin/replica-1  srv01 on local  frozen  generation 2"));

    // Resumed: it catches up, byte for byte what a full restore of generation 3 makes.
    REQUIRE(bench.ctl("replica resume replica-1").exit_code == 0);
    REQUIRE(eventually([&] { return bench.holds_generation(3); }, 120));
    CHECK(file_digest(bench.replica) == file_digest(bench.full_restore(g3, "full3.raw")));

    // The source's disk signature changes (its first track): the delta is refused, and the
    // engine resynchronises the replica with a full restore of the generation.
    REQUIRE(run("printf '\\021\\042\\063\\104' | dd of=" + sh_quote(bench.source) + " bs=1 seek=440 conv=notrunc status=none").exit_code == 0);
    const std::string g4 = bench.next_generation("disk1-g4", "disk1-g3", 1u << 20);
    REQUIRE(eventually([&] { return bench.holds_generation(4); }, 120));
    CHECK_THAT(bench.builtin_session().value("detail", ""), Catch::Contains("disk 1 in full, its delta refused"));
    CHECK(file_digest(bench.replica) == file_digest(bench.full_restore(g4, "full4.raw")));

    // Removed: the session goes, its volume stays.
    const RunResult removed = bench.ctl("replica remove replica-1");
    INFO(removed.out << removed.err);
    REQUIRE(removed.exit_code == 0);
    CHECK_THAT(removed.out, Catch::Contains("its volumes stay in the pool: dagda-replica-srv01-disk1.img"));
    CHECK(bench.builtin_session().is_null());
    CHECK(fs::exists(bench.replica));
}
