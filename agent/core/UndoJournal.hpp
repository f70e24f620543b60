#pragma once
/// The before-images of a run's writes to one disk (docs/journal-format.md, "Undo journal"), so
/// that a disk changed in place can be put back exactly as it was: push button recovery writes a
/// replica's boot fix-up and inoculation before the point of no return, and a failure before it
/// must leave the replica as the freeze left it (docs/replication.md). Every guarded write first
/// saves the bytes it will overwrite, synced to the journal, and only then writes; a region saved
/// once in a process is not saved again (its first before-image is the one that counts). Replaying
/// the records newest first leaves each byte as it was before the first write that touched it.
///
/// The writers of the disk module and libntfs-3g's device (RangeDevice) ask guard_write() before
/// each write; writes libparted makes itself are covered by the regions the runner saves up front
/// (save_region), which hold every partition table and boot sector.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace dagda {

class UndoJournal {
public:
    /// Opens `path` (made when missing, appended to when it exists: a resumed run keeps the first
    /// run's before-images) for the disk or file `target`. `path` may be a block device given to
    /// the journal alone: new while all zero at its start, never written over when it holds
    /// anything but a journal. Throws Error{refused} when the journal
    /// was made for a target of another size, Error{failed} when it cannot be written.
    UndoJournal(const std::string& path, const std::string& target);
    UndoJournal(const UndoJournal&) = delete;
    UndoJournal& operator=(const UndoJournal&) = delete;
    ~UndoJournal();

    /// Saves [offset, offset + length) of the target as it is now (clipped to its size), unless
    /// this process saved it before; synced before it returns.
    void save_region(std::uint64_t offset, std::uint64_t length);
    /// Whether `fd` is open on this journal's target.
    bool guards(int fd) const;
    std::uint64_t saved_bytes() const noexcept { return saved_bytes_; }

private:
    std::string path_, target_;
    int journal_fd_ = -1, target_fd_ = -1;
    bool journal_device_ = false;  ///< kept on a block device: records end at a head of zeros
    std::uint64_t journal_size_ = 0, end_ = 0;  ///< the device's size; where the next record goes
    dev_t device_ = 0;
    ino_t inode_ = 0;
    bool block_device_ = false;
    std::uint64_t size_ = 0, saved_bytes_ = 0;
    std::map<std::uint64_t, std::uint64_t> saved_;  // start → end of the regions saved by this process
    std::mutex mutex_;                              // restore workers may write from several threads
};

/// The journal guarded writes go through, for this process (nullptr: none; the default). The
/// caller keeps it alive while it is set.
void set_undo_journal(UndoJournal* journal);

/// Called before writing [offset, offset + length) of the file behind `fd`: saves the region's
/// before-image when an undo journal guards that file. Throws Error{failed} when it cannot be
/// saved (the write must then not be made).
void guard_write(int fd, std::uint64_t offset, std::uint64_t length);

/// What undo_journal did (or, for a dry run, would do).
struct UndoReport {
    std::uint64_t regions = 0, bytes = 0;
    bool torn_tail = false;  ///< the last record was cut short (its write was never made)
};

/// Puts `target` back as it was before the journal's first write: its records written back,
/// newest first, and synced. Throws Error{refused} for a target whose size is not the journal's,
/// Error{failed} for a journal that is not one or is damaged before its last record.
UndoReport undo_journal(const std::string& journal, const std::string& target, bool dry_run);

}  // namespace dagda
