#pragma once
/// Running a helper program (no shell) and collecting its output: for the few jobs a well-kept
/// tool does better than a library Debian has, such as mtools for files on a FAT EFI system
/// partition.

#include <string>
#include <utility>
#include <vector>

namespace dagda {

struct ProgramResult {
    int exit_code = -1;  ///< the program's exit status; 128 + signal when a signal ended it
    std::string out;
    std::string err;
};

/// Runs argv[0] (looked up in PATH) with `argv` and `environment` added to ours (NAME=value).
/// Throws Error{failed} when it cannot be started; a non-zero exit is the caller's to judge.
ProgramResult run_program(const std::vector<std::string>& argv, const std::vector<std::string>& environment = {});

}  // namespace dagda
