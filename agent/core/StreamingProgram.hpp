#pragma once
/// A program whose standard output is read as it is written, not collected: the controller's
/// downloads stream `dagda tib extract … -` to a browser. One child process per object, in a
/// process group of its own; the destructor kills the group and reaps the child unless wait()
/// already did, so a dropped download never leaves a reader behind.

#include "core/UniqueFd.hpp"

#include <string>
#include <sys/types.h>
#include <vector>

namespace dagda {

class StreamingProgram {
public:
    /// Starts argv[0] (a path, or looked up in PATH) with stdin on /dev/null. Throws
    /// Error{failed} when it cannot be started.
    explicit StreamingProgram(const std::vector<std::string>& argv);
    StreamingProgram(const StreamingProgram&) = delete;
    StreamingProgram& operator=(const StreamingProgram&) = delete;
    ~StreamingProgram();

    /// The read end of its standard output, handed over once (the caller reads it to its end).
    UniqueFd take_output() { return std::move(output_); }
    /// Waits for it to exit: its exit status, 128 + signal when a signal ended it. Blocks.
    int wait();
    /// What it wrote on standard error (at most the last 64 KiB), once it has exited.
    std::string errors() const;

private:
    pid_t pid_ = -1;
    bool reaped_ = false;
    UniqueFd output_;
    UniqueFd errors_;  ///< an unlinked file: a chatty stderr can never block the program
};

}  // namespace dagda
