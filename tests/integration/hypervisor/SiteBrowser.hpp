#pragma once
/// The person at the browser in the hypervisor tests: tests/browser/recovery_site.py (headless
/// Chromium, Selenium) as the operator alice of a RecoveryBench's controller. Screenshots go to
/// build/tests/console-screenshots-site/.

#include "common/Run.hpp"
#include "integration/hypervisor/RecoveryBench.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

namespace dagda::testing {

/// Adds alice, an operator, to the bench's controller (its password in a file of the test's folder).
inline void add_site_operator(const RecoveryBench& bench) {
    for (const char* tool : {"/usr/bin/chromium", "/usr/bin/chromedriver"})
        if (!std::filesystem::exists(tool)) FAIL(std::string("missing: ") + tool + " (scripts/setup installs chromium and chromium-driver)");
    std::ofstream(bench.dir.file("alice.password")) << "site operator password\n";
    REQUIRE(bench.ctl("user add alice --role operator --password-stdin < " + sh_quote(bench.dir.file("alice.password"))).exit_code == 0);
}

/// The shell command that runs recovery_site.py ACTION ARGS as alice, her password on its stdin,
/// its stderr with its stdout.
inline std::string site_browser_command(const RecoveryBench& bench, const std::string& action, const std::string& args) {
    return "/usr/bin/python3 " + sh_quote(std::string(DAGDA_SOURCE_DIR) + "/tests/browser/recovery_site.py") + " " + action + " --url " +
           bench.controller->url() + " --user alice --output " + sh_quote(DAGDA_BROWSER_SCREENSHOTS) + " --server srv01 " + args + " < " +
           sh_quote(bench.dir.file("alice.password")) + " 2>&1";
}

}  // namespace dagda::testing
