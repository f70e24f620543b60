#pragma once
/// Runs a command through the shell and captures its output and exit code (for driving the
/// real `dagda` binary and the outside tools that check it: sfdisk, sgdisk, blkid).

#include <string>

namespace dagda::testing {

struct RunResult {
    int exit_code = -1;
    std::string out;   ///< stdout
    std::string err;   ///< stderr
};

/// Runs `command` with /bin/sh; stdout and stderr captured separately.
RunResult run(const std::string& command);

/// Quotes a word for the shell.
std::string sh_quote(const std::string& word);

/// The built `dagda` binary, quoted, ready to prefix a command line.
std::string dagda_command();

/// The built `dagda` binary's path, unquoted (for argv).
std::string dagda_binary_path();

/// True when a program is on PATH.
bool have_program(const std::string& name);

/// libfaketime's multi-threaded library, to preload directly with FAKETIME=… (the faketime
/// wrapper forks, so a kill would hit the wrapper and leave the program running); empty when it
/// is not installed.
std::string libfaketime();

}  // namespace dagda::testing
