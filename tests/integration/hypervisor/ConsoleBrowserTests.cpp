// Issue 16: the console's buttons that need a real recovery site, pushed in a real browser.
// This test makes the site (libvirtd with a local dir pool, a controller serving srv01's Windows
// disk, an operator account); tests/browser/recovery_site.py is the person at the browser
// (headless Chromium, Selenium; SiteBrowser.hpp). What the page did is then read back
// independently: the VM with virsh, its disk with ntfs-3g's tools.

#include "common/NtfsEdit.hpp"
#include "common/Run.hpp"
#include "integration/hypervisor/RecoveryBench.hpp"
#include "integration/hypervisor/SiteBrowser.hpp"

#include <catch2/catch.hpp>

using namespace dagda::testing;

TEST_CASE("console in a browser: Recover to a new VM runs to success, then files of generation 2 ticked on the files page are brought back onto its disk",
          "[hypervisor][integration][libvirt][root][browser][restore-files]") {
    LibvirtDaemons daemons;
    NEEDS_LIBVIRT(daemons);
    RecoveryBench bench;
    bench.start_controller();
    add_site_operator(bench);

    const RunResult recovered = run(site_browser_command(bench, "recover", "--hypervisor local --vm " + bench.vm));
    INFO(recovered.out << bench.controller->log());
    REQUIRE(recovered.exit_code == 0);
    CHECK_THAT(recovered.out, Catch::Contains("recovery-1 succeeded"));
    const nlohmann::json recovery = bench.controller->api("GET", "/api/recoveries/recovery-1")["body"];
    CHECK(recovery["state"] == "succeeded");
    CHECK(recovery["vm"]["name"] == bench.vm);
    CHECK(recovery["vm"]["memory_mib"] == 512);
    CHECK_THAT(virsh("domstate " + bench.vm), Catch::StartsWith("shut off"));  // defined, and left off for a person to start
    const std::string disk = bench.pool.folder() + "/" + bench.vm + "-disk1.img";
    CHECK(layout_of(disk) == layout_of(bench.source));
    // The restore's own progress, relayed from `dagda run --progress json` as the recovery's: its
    // image.restore phase through to its end (what the page's bar draws while the step runs).
    const nlohmann::json events = bench.controller->api("GET", "/api/recoveries/recovery-1/events")["body"]["events"];
    bool restore_ended = false;
    for (const auto& e : events)
        if (e["event"] == "step_progress" && e["step"] == "direct.restore" && e["name"] == "image.restore" && e["message"] == "disk 1: image.restore")
            restore_ended = restore_ended || (e["done"] == e["total"] && e["total"].get<std::uint64_t>() > 0);
    INFO(events.dump(1));
    CHECK(restore_ended);

    // The server goes on after its backup: a report written, captured as generation 2.
    const auto [start, sectors] = partition_extent(bench.source, 2);
    add_random_file(bench.dir, bench.source, start, sectors, "report.bin", 700000);
    const std::string report = run("ntfscat " + sh_quote(windows_partition(bench.dir, bench.source)) + " /report.bin").out;
    REQUIRE(report.size() == 700000);
    REQUIRE(run(dagda_command() + " tib capture --disk " + sh_quote(bench.source) + " " + sh_quote(bench.archives + "/srv01/disk1-g2.tib") +
                " --base " + sh_quote(bench.archive) + " --progress none").exit_code == 0);
    CHECK(run("ntfscat " + sh_quote(windows_partition(bench.dir, disk)) + " /report.bin").exit_code != 0);  // not on the VM yet

    const RunResult brought = run(site_browser_command(bench, "bring-back", "--generation disk1-g2.tib --volume 2 --pick report.bin --recovery recovery-1"));
    INFO(brought.out << bench.controller->log());
    REQUIRE(brought.exit_code == 0);
    CHECK_THAT(brought.out, Catch::Contains("Brought back onto " + bench.vm + ": /report.bin"));
    const std::string windows_after = windows_partition(bench.dir, disk);
    CHECK(run("ntfscat " + sh_quote(windows_after) + " /report.bin").out == report);
    CHECK(run("ntfsfix --no-action " + sh_quote(windows_after)).exit_code == 0);
    CHECK_THAT(virsh("domstate " + bench.vm), Catch::StartsWith("shut off"));
    // Both buttons are in the audit log under alice's name.
    const nlohmann::json audited = bench.controller->api("GET", "/api/audit");  // kept: a range-for over a temporary's member dangles
    std::string audit;
    for (const auto& e : audited["body"]["entries"])
        audit += e["who"].get<std::string>() + " " + e["action"].get<std::string>() + " " + e["outcome"].get<std::string>() + "\n";
    INFO(audit);
    CHECK_THAT(audit, Catch::Contains("alice POST /api/recoveries ") && Catch::Contains("alice POST /api/recoveries/recovery-1/restore-files"));
}
