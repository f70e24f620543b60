#pragma once
/// Archives agents upload to the controller (docs/api.md, "Uploads"): each is received as
/// ARCHIVES/SERVER/FILE.upload, piece by piece at the offset the agent names (so a cut link is
/// taken up where the controller's copy ends), and committed on request: synced, checked by
/// `dagda tib verify` and `dagda tib info` in a process of their own (an archive from the network
/// is never parsed inside the controller), its generation digest compared with the one the agent
/// wrote, and only then given its name, never replacing a file. Who may upload what is the
/// Store's upload grants'; this class trusts its caller to have checked them.
///
/// With an archive store in a bucket (docs/archive-store.md, "Writing"), ARCHIVES is the
/// controller's staging folder: a verified archive, once named there, is put into the bucket
/// (multipart, resumable) and only then reported committed; its staged copy is removed after.
/// One staged when the controller stopped is put into the bucket after its restart.
///
/// Thread-safe: pieces are written on the file reader threads, commits verified on a thread of
/// its own, states asked for on the file reader threads.

#include "controller/ArchiveStore.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace dagda::controller {

struct UploadStatus {
    std::string state;      ///< "receiving", "verifying", "committed" or "failed"
    std::uint64_t received = 0;
    std::string reason;     ///< failed: why
};

/// A piece offered: taken, or refused with the bytes the controller holds.
struct PieceAnswer {
    bool taken = false;
    std::uint64_t received = 0;
    std::string refusal;  ///< why it was not taken ("" when it was)
};

class Uploads {
public:
    /// `dagda_binary` verifies the archives (tib verify, tib info).
    Uploads(std::string archives_dir, std::string dagda_binary, ArchiveStore* bucket = nullptr);
    /// Stops a verification under way (its upload stays, to be committed again).
    ~Uploads();
    Uploads(const Uploads&) = delete;
    Uploads& operator=(const Uploads&) = delete;

    /// `name` is SERVER/FILE, already checked to be two plain names.
    UploadStatus status(const std::string& name);
    /// Writes `bytes` at `offset`: offset 0 starts the upload over, any other must be where the
    /// controller's copy ends. Throws Error when the file cannot be written.
    PieceAnswer put(const std::string& name, std::uint64_t offset, std::string_view bytes);
    /// Starts verifying an upload of `size` bytes whose generation digest is `digest_hex` and
    /// whose base must be the generation in the archive file `base` (SERVER/FILE; "": none, a
    /// full backup; nothing: not checked); the answer is the state it is in now (verifying, or
    /// committed already), or a refusal.
    UploadStatus commit(const std::string& name, std::uint64_t size, const std::string& digest_hex, const std::optional<std::string>& base,
                        std::string& refusal);
    /// Removes the unfinished upload of `name` (its job ended).
    void discard(const std::string& name);

private:
    struct Pending {
        std::string name, digest;
        std::uint64_t size = 0;
        std::optional<std::string> base;
        bool staged = false;  ///< verified and named in the staging folder already: only to be put into the bucket
    };
    std::string upload_path(const std::string& name) const;
    std::string final_path(const std::string& name) const;
    /// `name`'s state; `in_bucket` is the bucket's answer (its size there, if it holds it), which
    /// decides only when there is no verdict and no upload under way here.
    UploadStatus status_locked(const std::string& name, std::optional<std::uint64_t> in_bucket);
    /// The bucket's size of `name` where it decides the state: asked without the lock, so a
    /// store that answers slowly holds no other upload's pieces up meanwhile.
    std::optional<std::uint64_t> bucket_size(const std::string& name);
    void verify_loop();
    void verify(const Pending& pending);
    /// Puts a staged archive into the bucket; "" or why it failed.
    std::string publish(const std::string& name);

    std::string archives_dir_, dagda_binary_;
    ArchiveStore* bucket_;
    std::mutex mutex_;
    std::map<std::string, UploadStatus> verdicts_;  ///< verifying or failed; forgotten on a restart
    std::deque<Pending> queue_;
    std::condition_variable wake_;
    std::atomic<bool> stopping_{false};
    std::thread verifier_;
};

}  // namespace dagda::controller
