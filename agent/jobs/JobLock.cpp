#include "jobs/JobLock.hpp"

#include "core/Error.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <filesystem>

namespace dagda::jobs {

JobLock::JobLock(const std::string& folder) {
    std::error_code error;
    std::filesystem::create_directories(folder, error);
    const std::string path = folder + "/job.lock";
    fd_ = UniqueFd::open(path, O_RDWR | O_CREAT | O_CLOEXEC);
    if (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) throw Error(ErrorKind::refused, "busy: another job is running on this machine (" + path + " is held)");
        throw_errno("cannot lock " + path);
    }
}

}  // namespace dagda::jobs
