#pragma once
/// Running a helper program (no shell) and collecting its output: for the few jobs a well-kept
/// tool does better than a library Debian has, such as mtools for files on a FAT EFI system
/// partition; and for programs the controller must not trust to behave (a replication adapter):
/// bounded in time and output, its input on stdin.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace dagda {

struct ProgramResult {
    int exit_code = -1;  ///< the program's exit status; 128 + signal when a signal ended it
    std::string out;
    std::string err;
    bool timed_out = false;     ///< killed at ProgramBounds::timeout
    bool output_cut = false;    ///< killed for writing more than ProgramBounds::most_output
    bool cancelled = false;     ///< killed because ProgramBounds::cancel was set
};

/// What a bounded run gives the program and allows it.
struct ProgramBounds {
    std::string input;                      ///< written to its stdin, which is then closed
    std::chrono::milliseconds timeout{0};   ///< 0: none; past it, its whole process group is killed
    std::size_t most_output = SIZE_MAX;     ///< more than this on stdout or stderr: killed likewise
    const std::atomic<bool>* cancel = nullptr;  ///< set by another thread: killed likewise within 0.2 s (a stopping caller)
    /// Given each line of stdout (without its newline) as it comes, instead of collecting stdout
    /// in ProgramResult::out: a long run's progress followed live, in bounded memory (a line
    /// longer than most_output kills it like a flood). Called on the caller's thread; must not throw.
    std::function<void(const std::string& line)> on_line;
};

/// Runs argv[0] (looked up in PATH) with `argv` and `environment` added to ours (NAME=value).
/// Throws Error{failed} when it cannot be started; a non-zero exit is the caller's to judge.
ProgramResult run_program(const std::vector<std::string>& argv, const std::vector<std::string>& environment = {});

/// run_program in a process group of its own, fed `bounds.input`, and killed (with every process
/// it started) when it outlives the timeout or floods its output: a hung or hostile program
/// cannot hold the caller. A program that exits without reading its input is no error here.
ProgramResult run_bounded_program(const std::vector<std::string>& argv, const ProgramBounds& bounds,
                                  const std::vector<std::string>& environment = {});

}  // namespace dagda
