#pragma once
/// One job at a time on a machine: an exclusive flock on a lock file in the run folder, held
/// while a job runs. A second job is refused as busy (as Ironic's agent answers AgentIsBusy).

#include "core/UniqueFd.hpp"

#include <string>

namespace dagda::jobs {

class JobLock {
public:
    /// Takes `<folder>/job.lock` (the folder is created); throws Error{refused} "busy" when
    /// another process holds it.
    explicit JobLock(const std::string& folder);

private:
    UniqueFd fd_;
};

}  // namespace dagda::jobs
