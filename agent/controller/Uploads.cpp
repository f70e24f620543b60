#include "controller/Uploads.hpp"
#include "controller/ArchiveNames.hpp"

#include "controller/ProgramOutput.hpp"
#include "core/Error.hpp"
#include "core/Subprocess.hpp"
#include "core/UniqueFd.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace dagda::controller {

bool plain_file_name(const std::string& name) {
    return !name.empty() && name.size() <= 255 && name.front() != '.' && name.find('/') == std::string::npos &&
           name.find('\0') == std::string::npos;
}

bool archive_file_name(const std::string& name) {
    const auto slash = name.find('/');
    return slash == std::string::npos ? plain_file_name(name) : plain_file_name(name.substr(0, slash)) && plain_file_name(name.substr(slash + 1));
}

namespace {

constexpr const char* upload_suffix = ".upload";
// A verification reads the whole chain; this bounds one that hangs, far above any real one.
constexpr auto verify_timeout = std::chrono::hours(4);

/// SERVER and FILE of "SERVER/FILE".
std::pair<std::string, std::string> parts_of(const std::string& name) {
    const auto slash = name.find('/');
    return {name.substr(0, slash), name.substr(slash + 1)};
}

/// The server's folder in the archive folder, made when missing; never a link out of it.
UniqueFd server_folder(const std::string& archives_dir, const std::string& server) {
    const UniqueFd archives = UniqueFd::open(archives_dir, O_RDONLY | O_DIRECTORY);
    if (::mkdirat(archives.get(), server.c_str(), 0750) != 0 && errno != EEXIST) throw_errno("cannot make " + archives_dir + "/" + server);
    const int fd = ::openat(archives.get(), server.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) throw_errno(archives_dir + "/" + server + " is not a folder inside the archive folder");
    return UniqueFd(fd);
}

std::uint64_t size_at(int folder, const std::string& file) {
    struct stat st{};
    if (::fstatat(folder, file.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return 0;
    return S_ISREG(st.st_mode) ? static_cast<std::uint64_t>(st.st_size) : 0;
}

bool regular_at(int folder, const std::string& file) {
    struct stat st{};
    return ::fstatat(folder, file.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

Uploads::Uploads(std::string archives_dir, std::string dagda_binary)
    : archives_dir_(std::move(archives_dir)), dagda_binary_(std::move(dagda_binary)), verifier_([this] { verify_loop(); }) {}

Uploads::~Uploads() {
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    verifier_.join();
}

std::string Uploads::upload_path(const std::string& name) const { return archives_dir_ + "/" + name + upload_suffix; }
std::string Uploads::final_path(const std::string& name) const { return archives_dir_ + "/" + name; }

UploadStatus Uploads::status(const std::string& name) {
    const std::lock_guard<std::mutex> lock(mutex_);
    return status_locked(name);
}

UploadStatus Uploads::status_locked(const std::string& name) {
    const auto [server, file] = parts_of(name);
    const UniqueFd folder = server_folder(archives_dir_, server);
    if (regular_at(folder.get(), file)) return {"committed", size_at(folder.get(), file), ""};
    if (const auto verdict = verdicts_.find(name); verdict != verdicts_.end()) return verdict->second;
    return {"receiving", size_at(folder.get(), file + upload_suffix), ""};
}

PieceAnswer Uploads::put(const std::string& name, std::uint64_t offset, std::string_view bytes) {
    const std::lock_guard<std::mutex> lock(mutex_);
    const UploadStatus now = status_locked(name);
    if (now.state == "committed" || now.state == "verifying")
        return {false, now.received, "the archive is " + now.state + " already; it takes no more bytes"};
    if (offset != 0 && offset != now.received)
        return {false, now.received, "the upload holds " + std::to_string(now.received) + " bytes: a piece goes at that offset, or at 0 to start over"};
    verdicts_.erase(name);  // a failed commit's upload is started over
    const auto [server, file] = parts_of(name);
    const UniqueFd folder = server_folder(archives_dir_, server);
    const int fd = ::openat(folder.get(), (file + upload_suffix).c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd < 0) throw_errno("cannot open " + upload_path(name));
    const UniqueFd upload(fd);
    if (offset == 0 && ::ftruncate(upload.get(), 0) != 0) throw_errno("cannot start " + upload_path(name) + " over");
    write_exact(upload.get(), bytes.data(), bytes.size(), offset, upload_path(name));
    return {true, offset + bytes.size(), ""};
}

UploadStatus Uploads::commit(const std::string& name, std::uint64_t size, const std::string& digest_hex, const std::optional<std::string>& base,
                             std::string& refusal) {
    const std::lock_guard<std::mutex> lock(mutex_);
    const UploadStatus now = status_locked(name);
    if (now.state == "committed" || now.state == "verifying") return now;
    if (now.received != size) {
        refusal = "the upload holds " + std::to_string(now.received) + " bytes, not the " + std::to_string(size) + " the commit names";
        return now;
    }
    verdicts_[name] = {"verifying", size, ""};
    queue_.push_back({name, digest_hex, size, base});
    wake_.notify_all();
    return verdicts_[name];
}

void Uploads::discard(const std::string& name) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (const auto verdict = verdicts_.find(name); verdict != verdicts_.end() && verdict->second.state == "verifying") return;
    verdicts_.erase(name);
    const auto [server, file] = parts_of(name);
    try {
        const UniqueFd folder = server_folder(archives_dir_, server);
        ::unlinkat(folder.get(), (file + upload_suffix).c_str(), 0);
    } catch (const Error&) {
        // No server folder: nothing was uploaded.
    }
}

void Uploads::verify_loop() {
    for (;;) {
        Pending next;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (stopping_) return;
            next = queue_.front();
            queue_.pop_front();
        }
        verify(next);
    }
}

void Uploads::verify(const Pending& pending) {
    std::string reason;
    const std::string path = upload_path(pending.name);
    try {
        {
            const UniqueFd upload = UniqueFd::open(path, O_RDONLY | O_NOFOLLOW);
            if (::fsync(upload.get()) != 0) throw_errno("cannot flush " + path);
        }
        ProgramBounds bounds;
        bounds.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(verify_timeout);
        bounds.most_output = 1 << 20;
        bounds.cancel = &stopping_;
        const ProgramResult verified = run_bounded_program({dagda_binary_, "tib", "verify", path, "--progress", "none"}, bounds);
        if (verified.cancelled) return;  // the controller stops; the upload is committed again after its restart
        // `tib info --json` of an archive: its description, or null when it cannot be read.
        bool cancelled = false;
        const auto describe = [&](const std::string& archive, std::string& error) {
            const ProgramResult info = run_bounded_program({dagda_binary_, "tib", "info", archive, "--json"}, bounds);
            cancelled = cancelled || info.cancelled;
            nlohmann::json described = nlohmann::json::parse(info.out, nullptr, false);
            if (info.exit_code != 0 || !described.is_object() || !described.value("generation_digest", nlohmann::json()).is_string()) {
                error = last_lines(info.err, 1);
                return nlohmann::json();
            }
            return described;
        };
        std::string error;
        if (verified.exit_code != 0) {
            reason = "the archive does not verify: " + last_lines(verified.err + verified.out, 1);
        } else if (const nlohmann::json described = describe(path, error); cancelled) {
            return;
        } else if (described.is_null()) {
            reason = "the archive could not be read: " + error;
        } else if (described["generation_digest"] != pending.digest) {
            reason = "the archive's generation digest is " + described["generation_digest"].get<std::string>() + ", not " + pending.digest +
                     " as the agent wrote it";
        } else if (pending.base) {
            // The base must be the generation the job planned on: a generation on another (an
            // older one of the chain, or another chain's) would leave the chain the controller
            // lists not the one its job meant to continue.
            const nlohmann::json generation = described.value("generation", nlohmann::json::object());
            const nlohmann::json base = generation.is_object() ? generation.value("base", nlohmann::json()) : nlohmann::json();
            const std::string has = base.is_object() ? base.value("name", "?") + " (generation digest " + base.value("digest", "?") + ")" : "none";
            if (pending.base->empty()) {
                if (!base.is_null()) reason = "the job backs up in full, but the archive is an incremental on " + has;
            } else if (base.is_null()) {
                reason = "the job backs up incrementally on " + *pending.base + ", but the archive is a full backup";
            } else if (const nlohmann::json planned = describe(final_path(*pending.base), error); cancelled) {
                return;
            } else if (planned.is_null()) {
                reason = "the planned base " + *pending.base + " could not be read: " + error;
            } else if (base.value("digest", "") != planned["generation_digest"]) {
                reason = "the archive is an incremental on " + has + ", not on " + *pending.base + " (generation digest " +
                         planned["generation_digest"].get<std::string>() + ") as its job planned";
            }
        }
        if (reason.empty()) {
            // Given its name only now, and never in place of another archive.
            const auto [server, file] = parts_of(pending.name);
            const UniqueFd folder = server_folder(archives_dir_, server);
            if (::renameat2(folder.get(), (file + upload_suffix).c_str(), folder.get(), file.c_str(), RENAME_NOREPLACE) != 0)
                reason = errno == EEXIST ? final_path(pending.name) + " exists already; a backup never replaces another"
                                         : "cannot rename " + path + ": " + std::strerror(errno);
        }
    } catch (const std::exception& e) {
        reason = e.what();
    }
    const std::lock_guard<std::mutex> lock(mutex_);
    if (reason.empty()) {
        verdicts_.erase(pending.name);
        return;
    }
    // A rejected upload is removed: what the agent sends next starts it over.
    ::unlink(path.c_str());
    verdicts_[pending.name] = {"failed", 0, reason};
}

}  // namespace dagda::controller
