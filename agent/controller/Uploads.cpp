#include "controller/Uploads.hpp"

#include "controller/ArchiveNames.hpp"
#include "controller/ArchiveUrlsFile.hpp"
#include "controller/ProgramOutput.hpp"
#include "core/Error.hpp"
#include "core/Subprocess.hpp"
#include "core/UniqueFd.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
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

Uploads::Uploads(std::string archives_dir, std::string dagda_binary, ArchiveStore* bucket)
    : archives_dir_(std::move(archives_dir)), dagda_binary_(std::move(dagda_binary)), bucket_(bucket) {
    if (bucket_) {
        // Archives verified and named before a stop, not yet in the bucket: put there now.
        std::error_code none;
        std::filesystem::create_directories(archives_dir_, none);
        for (const auto& server : std::filesystem::directory_iterator(archives_dir_, none))
            for (const auto& file : std::filesystem::directory_iterator(server.path(), none))
                if (!file.is_symlink(none) && file.is_regular_file(none) && file.path().extension() == ".tib") {
                    const std::string name = server.path().filename().string() + "/" + file.path().filename().string();
                    verdicts_[name] = {"verifying", file.file_size(none), ""};
                    queue_.push_back({name, "", 0, std::nullopt, true});
                }
    }
    verifier_ = std::thread([this] { verify_loop(); });
}

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
    const std::optional<std::uint64_t> in_bucket = bucket_size(name);
    const std::lock_guard<std::mutex> lock(mutex_);
    return status_locked(name, in_bucket);
}

std::optional<std::uint64_t> Uploads::bucket_size(const std::string& name) {
    if (!bucket_) return std::nullopt;
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        if (verdicts_.count(name)) return std::nullopt;
        const auto [server, file] = parts_of(name);
        if (regular_at(server_folder(archives_dir_, server).get(), file + upload_suffix)) return std::nullopt;
    }
    // Only the verifier puts an archive into the bucket, and it gives the name a verdict first:
    // what the store answers here cannot be overtaken unseen.
    return bucket_->size_in(name);
}

UploadStatus Uploads::status_locked(const std::string& name, std::optional<std::uint64_t> in_bucket) {
    const auto [server, file] = parts_of(name);
    const UniqueFd folder = server_folder(archives_dir_, server);
    if (const auto verdict = verdicts_.find(name); verdict != verdicts_.end()) return verdict->second;
    if (!bucket_ && regular_at(folder.get(), file)) return {"committed", size_at(folder.get(), file), ""};
    // In the bucket (committed before a restart, which forgot its verdict), or still to come.
    if (bucket_ && !regular_at(folder.get(), file + upload_suffix) && in_bucket) return {"committed", *in_bucket, ""};
    return {"receiving", size_at(folder.get(), file + upload_suffix), ""};
}

PieceAnswer Uploads::put(const std::string& name, std::uint64_t offset, std::string_view bytes) {
    const std::optional<std::uint64_t> in_bucket = bucket_size(name);
    const std::lock_guard<std::mutex> lock(mutex_);
    const UploadStatus now = status_locked(name, in_bucket);
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
    const std::optional<std::uint64_t> in_bucket = bucket_size(name);
    const std::lock_guard<std::mutex> lock(mutex_);
    const UploadStatus now = status_locked(name, in_bucket);
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

std::string Uploads::publish(const std::string& name) {
    try {
        bucket_->put_file(name, final_path(name), stopping_);
        ::unlink(final_path(name).c_str());
        return "";
    } catch (const std::exception& e) {
        return std::string("putting the archive into the archive store failed: ") + e.what();
    }
}

void Uploads::verify(const Pending& pending) {
    std::string reason;
    const std::string path = upload_path(pending.name);
    if (pending.staged) {
        const std::string failed = publish(pending.name);
        if (stopping_) return;  // staged still: put into the bucket after the restart
        const std::uint64_t size = failed.empty() ? bucket_->size_in(pending.name).value_or(0) : 0;
        const std::lock_guard<std::mutex> lock(mutex_);
        if (failed.empty()) verdicts_[pending.name] = {"committed", size, ""};
        else verdicts_[pending.name] = {"failed", 0, failed};
        return;
    }
    try {
        {
            const UniqueFd upload = UniqueFd::open(path, O_RDONLY | O_NOFOLLOW);
            if (::fsync(upload.get()) != 0) throw_errno("cannot flush " + path);
        }
        ProgramBounds bounds;
        bounds.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(verify_timeout);
        bounds.most_output = 1 << 20;
        bounds.cancel = &stopping_;
        // With a bucket, the base's chain is there, not beside the upload: found by its URLs,
        // which the programs take from a file of the controller's own.
        std::optional<ArchiveUrlsFile> base_urls;
        std::vector<std::string> chain_urls;
        if (bucket_ && pending.base && !pending.base->empty()) {
            const auto [base_server, base_file] = parts_of(*pending.base);
            base_urls.emplace(path + ".urls", bucket_->chain(base_server, base_file, std::chrono::hours(1)).urls);
            chain_urls = {"--archive-urls", base_urls->path()};
        }
        std::vector<std::string> verify_argv{dagda_binary_, "tib", "verify", path, "--progress", "none"};
        verify_argv.insert(verify_argv.end(), chain_urls.begin(), chain_urls.end());
        const ProgramResult verified = run_bounded_program(verify_argv, bounds);
        if (verified.cancelled) return;  // the controller stops; the upload is committed again after its restart
        // `tib info --json` of an archive: its description, or null when it cannot be read.
        bool cancelled = false;
        const auto describe = [&](const std::string& archive, std::string& error) {
            std::vector<std::string> info_argv{dagda_binary_, "tib", "info", archive, "--json"};
            info_argv.insert(info_argv.end(), chain_urls.begin(), chain_urls.end());
            const ProgramResult info = run_bounded_program(info_argv, bounds);
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
            } else if (const nlohmann::json planned = describe(bucket_ ? bucket_->read_location(*pending.base) : final_path(*pending.base), error);
                       cancelled) {
                return;
            } else if (planned.is_null()) {
                reason = "the planned base " + *pending.base + " could not be read: " + error;
            } else if (base.value("digest", "") != planned["generation_digest"]) {
                reason = "the archive is an incremental on " + has + ", not on " + *pending.base + " (generation digest " +
                         planned["generation_digest"].get<std::string>() + ") as its job planned";
            }
        }
        if (reason.empty() && bucket_ && bucket_->size_in(pending.name))
            reason = pending.name + " is in the archive store already; a backup never replaces another";
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
    if (reason.empty() && bucket_) {
        // Committed only once the bucket holds it whole; the staged copy is then removed.
        reason = publish(pending.name);
        if (stopping_) return;  // staged: put into the bucket after the restart
        if (!reason.empty()) ::unlink(final_path(pending.name).c_str());
    }
    const std::lock_guard<std::mutex> lock(mutex_);
    if (reason.empty()) {
        if (bucket_) verdicts_[pending.name] = {"committed", pending.size, ""};
        else verdicts_.erase(pending.name);
        return;
    }
    // A rejected upload is removed: what the agent sends next starts it over.
    ::unlink(path.c_str());
    verdicts_[pending.name] = {"failed", 0, reason};
}

}  // namespace dagda::controller
