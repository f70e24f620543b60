// Issue 15: push button recovery through an external replication adapter (a script this test
// writes, speaking docs/replication.md's contract) that fails at each verb: a discover that
// answers garbage, a freeze that hangs, a remove that crashes after the replica was written, a
// resume that answers garbage, a session naming a volume the pool does not have. Each ends with a
// clear error; before the session's removal the replica is left as it was (byte for byte) and
// resumed; nothing is ever written to a volume the check did not accept.

#include "common/Run.hpp"
#include "integration/hypervisor/ArrayAdapter.hpp"
#include "integration/hypervisor/ReplicaBench.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace dagda::testing;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct AdapterBench {
    TempDir scratch;
    std::string script;
    std::unique_ptr<ReplicaBench> bench;
    std::string volume;

    AdapterBench() {
        // The array's replica of srv01: generation 1 restored onto a volume of the pool.
        bench = std::make_unique<ReplicaBench>(std::vector<std::string>{}, 2);
        volume = bench->pool.folder() + "/array-srv01-disk1.img";
        const std::string restored = bench->full_restore(bench->archive, "array.raw");
        REQUIRE(run("cp --sparse=always " + sh_quote(restored) + " " + sh_quote(volume) + " && virsh -c qemu:///system pool-refresh " +
                    bench->pool.name() + " > /dev/null").exit_code == 0);
        script = write_array_adapter(scratch, "local", "array-srv01-disk1.img", fs::file_size(volume));
        // The adapter is the controller's to run: given on its command line.
        restart_controller();
        REQUIRE(eventually([&] { return listed_volume() == "array-srv01-disk1.img"; }, 30));
    }
    /// The controller stopped (killed when `signal` is given) and started again on the same state.
    void restart_controller(int signal = 0) {
        if (signal && bench->controller) bench->controller->kill(signal);
        bench->controller.reset();
        bench->controller = std::make_unique<ControllerProcess>(bench->dir, bench->state, 0, bench->archives,
                                                                std::vector<std::string>{"--replica-scan-seconds", "2", "--replication-timeout", "5",
                                                                                         "--replication-adapter", "array=" + script});
    }
    std::string listed_volume() const {
        for (const json& s : bench->controller->api("GET", "/api/replicas")["body"].value("replicas", json::array()))
            if (s.value("adapter", "") == "array") return s["volumes"][0].value("volume", "");
        return "";
    }
    void fail(const std::string& verb, const std::string& snippet) const { std::ofstream(scratch.file("adapter/fail-" + verb)) << snippet << "\n"; }
    void heal(const std::string& verb) const { fs::remove(scratch.file("adapter/fail-" + verb)); }
    /// The verbs other than discover (which the controller also asks every scan) since the last call.
    std::string actions() const {
        const std::string log = sh_quote(scratch.file("adapter/verbs.log"));
        return run("grep -v discover " + log + " 2>/dev/null; : > " + log).out;
    }
    RunResult push(const std::string& name, const std::string& extra = "") const {
        return bench->ctl("push-button srv01 --hypervisor local --adapter array --name " + bench->vm + name + " --direct --memory 512" + extra);
    }
};

}  // namespace

TEST_CASE("push button through an external adapter that fails at each verb", "[hypervisor][integration][libvirt][root][push-button][adapter]") {
    LibvirtDaemons daemons;
    NEEDS_LIBVIRT(daemons);
    AdapterBench adapter;
    const std::string frozen_state = file_digest(adapter.volume);
    adapter.actions();

    SECTION("freeze hangs: killed at its timeout, the session resumed, nothing written") {
        adapter.fail("freeze", "sleep 60");
        const RunResult pushed = adapter.push("a");
        INFO(pushed.out << pushed.err);
        CHECK(pushed.exit_code == 1);
        CHECK_THAT(pushed.out, Catch::Contains("2. replica.freeze FAILED: replication adapter \"array\" could not freeze session arr-1: it did not answer "
                                               "within 5 s and was killed"));
        CHECK_THAT(pushed.err, Catch::Contains("replication resumed"));
        CHECK(adapter.actions() == "freeze\nresume\n");
        CHECK(file_digest(adapter.volume) == frozen_state);
    }
    SECTION("a session the engine had frozen before the button: a failure leaves it frozen, never resumed") {
        std::ofstream(adapter.scratch.file("adapter/state")) << "frozen";
        adapter.fail("remove", "exit 7");
        const RunResult pushed = adapter.push("g");
        INFO(pushed.out << pushed.err);
        CHECK(pushed.exit_code == 1);
        CHECK_THAT(pushed.err, Catch::Contains("the replica was put back as it was at the freeze; the session stays frozen, as the push button found it"));
        CHECK(file_digest(adapter.volume) == frozen_state);
        CHECK(adapter.actions() == "freeze\nremove\n");
    }
    SECTION("remove crashes after the replica was made bootable and inoculated: the replica put back byte for byte, resumed") {
        adapter.fail("remove", "echo 'array controller fault' >&2; kill -SEGV $$");
        const RunResult pushed = adapter.push("b", " --disable LSI_SAS");
        INFO(pushed.out << pushed.err);
        CHECK(pushed.exit_code == 1);
        CHECK_THAT(pushed.out, Catch::Contains("4. replica.inoculate done") &&
                                   Catch::Contains("5. replica.remove FAILED: replication adapter \"array\" could not remove session arr-1: it was "
                                                   "ended by signal 11 (it said: array controller fault)"));
        CHECK_THAT(pushed.err, Catch::Contains("the replica was put back as it was at the freeze and replication resumed"));
        CHECK(file_digest(adapter.volume) == frozen_state);
        CHECK(adapter.actions() == "freeze\nremove\nresume\n");
        CHECK_THAT(virsh("list --all --name"), !Catch::Contains(adapter.bench->vm + "b"));
        // Healed, the same button goes through.
        adapter.heal("remove");
        const RunResult again = adapter.push("b");
        INFO(again.out << again.err);
        CHECK(again.exit_code == 0);
        CHECK(file_digest(adapter.volume) != frozen_state);
    }
    SECTION("resume answers garbage after a copy: the recovery fails saying the replica is still frozen") {
        adapter.fail("resume", "echo 'resumed, I think'; exit 0");
        const RunResult pushed = adapter.push("c", " --copy");
        INFO(pushed.out << pushed.err);
        CHECK(pushed.exit_code == 1);
        CHECK_THAT(pushed.out, Catch::Contains("replica.resume FAILED: replication adapter \"array\" could not resume session arr-1: its answer is not "
                                               "JSON: \"resumed, I think \""));
        CHECK_THAT(pushed.err, Catch::Contains("replication could NOT be resumed") && Catch::Contains("the replica is frozen; resume it with its engine"));
        CHECK(file_digest(adapter.volume) == frozen_state);
    }
    SECTION("a session naming a volume the pool does not have: refused at the check, before any freeze or write") {
        std::ofstream(adapter.scratch.file("adapter/volume")) << "missing-disk1.img";
        REQUIRE(eventually([&] { return adapter.listed_volume() == "missing-disk1.img"; }, 30));
        adapter.actions();
        const RunResult pushed = adapter.push("d");
        INFO(pushed.out << pushed.err);
        CHECK(pushed.exit_code == 1);
        CHECK_THAT(pushed.out, Catch::Contains("1. replica.check FAILED: the adapter names the volume missing-disk1.img, which the pool " +
                                               adapter.bench->pool.name() + " does not have (nothing was written)"));
        CHECK(adapter.actions().empty());
        CHECK(file_digest(adapter.volume) == frozen_state);
    }
    SECTION("the controller killed while the adapter removes the session: the restarted one goes on from that step to the VM") {
        // The first remove takes 3 s (time enough to kill the controller during it); later ones answer at once.
        adapter.fail("remove", "if [ ! -e removed-once ]; then touch removed-once; sleep 3; fi");
        const RunResult queued = adapter.push("f", " --no-watch");
        INFO(queued.out << queued.err);
        REQUIRE(queued.exit_code == 0);
        REQUIRE(eventually([&] { return run("grep -q remove " + sh_quote(adapter.scratch.file("adapter/verbs.log"))).exit_code == 0; }, 60));
        adapter.restart_controller(SIGKILL);
        REQUIRE(eventually([&] {
            const std::string state = adapter.bench->controller->api("GET", "/api/recoveries/recovery-1")["body"].value("state", "");
            return state == "succeeded" || state == "failed";
        }, 120));
        const json recovery = adapter.bench->controller->api("GET", "/api/recoveries/recovery-1")["body"];
        INFO(recovery.dump() << adapter.bench->controller->log());
        CHECK(recovery["state"] == "succeeded");
        CHECK_THAT(virsh("dumpxml " + adapter.bench->vm + "f"), Catch::Contains("<source file='" + adapter.volume + "'/>"));
        CHECK_THAT(adapter.actions(), Catch::StartsWith("freeze\nremove\n") && Catch::EndsWith("remove\n"));
    }
    SECTION("discover answers garbage: the push button is refused, naming the adapter's fault") {
        adapter.fail("discover", "echo '<html>502 Bad Gateway</html>'; exit 0");
        REQUIRE(eventually([&] { return adapter.listed_volume().empty(); }, 30));
        const RunResult listed = adapter.bench->ctl("replicas");
        CHECK_THAT(listed.out, Catch::Contains("adapter array: replication adapter \"array\" could not discover: its answer is not JSON"));
        const RunResult pushed = adapter.push("e");
        INFO(pushed.out << pushed.err);
        CHECK(pushed.exit_code != 0);
        CHECK_THAT(pushed.err, Catch::Contains("no replication session of srv01 matches") && Catch::Contains("its answer is not JSON"));
        CHECK(file_digest(adapter.volume) == frozen_state);
    }
}
