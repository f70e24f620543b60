#include "core/Error.hpp"
#include "core/Subprocess.hpp"

#include <catch2/catch.hpp>

using dagda::run_program;

TEST_CASE("Subprocess: output, exit status and environment of a helper program", "[core][subprocess]") {
    const auto echoed = run_program({"sh", "-c", "printf out; printf err >&2; exit 3"});
    CHECK(echoed.out == "out");
    CHECK(echoed.err == "err");
    CHECK(echoed.exit_code == 3);
    CHECK(run_program({"sh", "-c", "printf %s \"$DAGDA_TEST_VALUE\""}, {"DAGDA_TEST_VALUE=seen"}).out == "seen");
    // Both pipes drained: more than a pipe buffer on each does not block the child.
    const auto big = run_program({"sh", "-c", "head -c 300000 /dev/zero; head -c 300000 /dev/zero >&2"});
    CHECK(big.out.size() == 300000);
    CHECK(big.err.size() == 300000);
    CHECK(run_program({"sh", "-c", "kill -TERM $$"}).exit_code == 128 + 15);
    CHECK_THROWS_AS(run_program({"/nonexistent/program"}), dagda::Error);
}
