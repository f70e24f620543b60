#include "core/Error.hpp"
#include "core/Subprocess.hpp"

#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <thread>

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

TEST_CASE("Subprocess: a bounded program gets its input, and is killed with its children past its time or output",
          "[core][subprocess]") {
    using dagda::ProgramBounds;
    using dagda::run_bounded_program;
    ProgramBounds bounds;
    bounds.input = std::string(200000, 'x') + "end";  // more than a pipe buffer
    bounds.timeout = std::chrono::seconds(20);
    const auto echoed = run_bounded_program({"sh", "-c", "cat | tail -c 3"}, bounds);
    CHECK(echoed.out == "end");
    CHECK(echoed.exit_code == 0);
    CHECK_FALSE(echoed.timed_out);
    // A program that reads nothing and exits: no SIGPIPE for the caller, its answer kept.
    const auto deaf = run_bounded_program({"sh", "-c", "echo answered"}, bounds);
    CHECK(deaf.out == "answered\n");

    // A hang, in a child the program started too: both killed at the timeout.
    bounds.timeout = std::chrono::milliseconds(500);
    const auto start = std::chrono::steady_clock::now();
    const auto hung = run_bounded_program({"sh", "-c", "sleep 30 & sleep 30"}, bounds);
    CHECK(hung.timed_out);
    CHECK(hung.exit_code == 128 + 9);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));

    // A flood: killed past the bound, what came before it kept.
    ProgramBounds small;
    small.most_output = 1000;
    const auto flood = run_bounded_program({"sh", "-c", "yes flood"}, small);
    CHECK(flood.output_cut);
    CHECK(flood.out.size() <= 1000);
}

TEST_CASE("Subprocess: a bounded program is killed when its caller cancels it", "[core][subprocess]") {
    std::atomic<bool> cancel{false};
    dagda::ProgramBounds bounds;
    bounds.timeout = std::chrono::seconds(30);
    bounds.cancel = &cancel;
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        cancel = true;
    });
    const auto start = std::chrono::steady_clock::now();
    const auto result = dagda::run_bounded_program({"sh", "-c", "sleep 30"}, bounds);
    stopper.join();
    CHECK(result.cancelled);
    CHECK_FALSE(result.timed_out);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("Subprocess: a bounded program's stdout is handed over line by line while it runs", "[core][subprocess]") {
    const dagda::testing::TempDir dir;
    const std::string flag = dir.file("seen");
    std::vector<std::string> lines;
    dagda::ProgramBounds bounds;
    bounds.timeout = std::chrono::seconds(10);
    bounds.on_line = [&](const std::string& line) {
        lines.push_back(line);
        if (line == "waiting") std::ofstream{flag};  // the program goes on only once this line was seen
    };
    // "waiting" must reach us before the program ends (it waits for our answer); a line split
    // across two writes comes whole; the last one without its newline comes at the end.
    const auto result = dagda::run_bounded_program(
        {"sh", "-c", "echo waiting; while [ ! -e '" + flag + "' ]; do sleep 0.05; done; printf 'sp'; sleep 0.2; printf 'lit\\n\\nlast'"}, bounds);
    CHECK_FALSE(result.timed_out);
    CHECK(result.exit_code == 0);
    CHECK(lines == std::vector<std::string>{"waiting", "split", "", "last"});
    CHECK(result.out.empty());

    // A line longer than the output bound is a flood like any other.
    bounds.most_output = 1000;
    lines.clear();
    const auto flood = dagda::run_bounded_program({"sh", "-c", "head -c 5000 /dev/zero | tr '\\0' x; echo"}, bounds);
    CHECK(flood.output_cut);
    CHECK(lines.empty());
}
