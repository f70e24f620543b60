#include "core/UndoJournal.hpp"

#include "core/Crc32.hpp"
#include "core/Error.hpp"
#include "core/UniqueFd.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

namespace dagda {

namespace {

constexpr char magic[] = "dagda-undo 1\n";  // then the target's size, 8 bytes LE
constexpr std::size_t header_size = sizeof magic - 1 + 8;
constexpr std::size_t record_head = 16;  // offset (8), length (4), CRC-32 of offset, length and data (4)
constexpr std::uint64_t largest_record = 16u << 20;

std::atomic<UndoJournal*> active_journal{nullptr};

void put_le(unsigned char* at, std::uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) at[i] = static_cast<unsigned char>(value >> (8 * i));
}

std::uint64_t get_le(const unsigned char* at, int bytes) {
    std::uint64_t value = 0;
    for (int i = bytes - 1; i >= 0; --i) value = (value << 8) | at[i];
    return value;
}

std::uint64_t size_of(int fd, const std::string& what) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw_errno("cannot stat " + what);
    if (!S_ISBLK(st.st_mode)) return static_cast<std::uint64_t>(st.st_size);
    std::uint64_t bytes = 0;
    if (::ioctl(fd, BLKGETSIZE64, &bytes) != 0) throw_errno("cannot read the size of " + what);
    return bytes;
}

std::uint32_t record_crc(const unsigned char* head, const unsigned char* data, std::size_t length) {
    std::uint32_t crc = crc32_update(0, head, 12);
    return crc32_update(crc, data, length);
}

bool all_zero(const unsigned char* bytes, std::size_t size) {
    return std::all_of(bytes, bytes + size, [](unsigned char b) { return b == 0; });
}

bool is_block_device(int fd) {
    struct stat st {};
    return ::fstat(fd, &st) == 0 && S_ISBLK(st.st_mode);
}

/// Where the records of a journal kept on a block device end: at the first record head of all
/// zeros (the end mark), or at a record that does not check (one cut short as it was saved, which
/// the next record overwrites).
std::uint64_t device_journal_end(int fd, std::uint64_t device_size, const std::string& path) {
    std::uint64_t at = header_size;
    std::vector<unsigned char> data;
    while (at + record_head <= device_size) {
        unsigned char head[record_head];
        read_exact(fd, head, record_head, at, path);
        if (all_zero(head, record_head)) break;
        const auto length = static_cast<std::uint32_t>(get_le(head + 8, 4));
        if (length == 0 || length > largest_record || at + record_head + length > device_size) break;
        data.resize(length);
        read_exact(fd, data.data(), length, at + record_head, path);
        if (record_crc(head, data.data(), length) != get_le(head + 12, 4)) break;
        at += record_head + length;
    }
    return at;
}

}  // namespace

UndoJournal::UndoJournal(const std::string& path, const std::string& target) : path_(path), target_(target) {
    target_fd_ = ::open(target.c_str(), O_RDONLY | O_CLOEXEC);
    if (target_fd_ < 0) throw_errno("cannot open " + target + " to save what it holds");
    struct stat st {};
    ::fstat(target_fd_, &st);
    block_device_ = S_ISBLK(st.st_mode);
    device_ = block_device_ ? st.st_rdev : st.st_dev;
    inode_ = block_device_ ? 0 : st.st_ino;
    size_ = size_of(target_fd_, target);
    journal_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (journal_fd_ < 0) throw_errno("cannot open the undo journal " + path);
    // The journal is never the disk it guards (a plan naming the target's device as its journal
    // would write the header over a blank disk's first bytes).
    if (guards(journal_fd_)) {
        ::close(journal_fd_);
        ::close(target_fd_);
        throw Error(ErrorKind::refused, "the undo journal " + path + " is " + target + " itself (nothing was written)");
    }
    journal_device_ = is_block_device(journal_fd_);
    journal_size_ = size_of(journal_fd_, path);
    // A block device given to the journal alone (a helper VM's journal volume) is new while it
    // is all zero where the header goes; one holding anything else is never written over.
    const bool fresh_device = journal_device_ && [&] {
        unsigned char start[header_size + record_head];
        if (journal_size_ < sizeof start) throw Error(ErrorKind::failed, path + " is too small for an undo journal");
        read_exact(journal_fd_, start, sizeof start, 0, path);
        return all_zero(start, sizeof start);
    }();
    const std::uint64_t existing = journal_device_ ? (fresh_device ? 0 : journal_size_) : journal_size_;
    unsigned char header[header_size];
    if (existing == 0) {
        std::memcpy(header, magic, sizeof magic - 1);
        put_le(header + sizeof magic - 1, size_, 8);
        write_exact(journal_fd_, header, header_size, 0, path);
        if (::fsync(journal_fd_) != 0) throw_errno("cannot sync " + path);
    } else {
        read_exact(journal_fd_, header, header_size, 0, path);
        if (std::memcmp(header, magic, sizeof magic - 1) != 0) throw Error(ErrorKind::failed, path + " is not an undo journal");
        if (get_le(header + sizeof magic - 1, 8) != size_)
            throw Error(ErrorKind::refused, path + " was made for a target of " + std::to_string(get_le(header + sizeof magic - 1, 8)) + " bytes, and " +
                                                target + " has " + std::to_string(size_));
    }
    end_ = journal_device_ ? device_journal_end(journal_fd_, journal_size_, path) : size_of(journal_fd_, path);
}

UndoJournal::~UndoJournal() {
    UndoJournal* self = this;
    active_journal.compare_exchange_strong(self, nullptr);
    if (journal_fd_ >= 0) ::close(journal_fd_);
    if (target_fd_ >= 0) ::close(target_fd_);
}

bool UndoJournal::guards(int fd) const {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return false;
    if (S_ISBLK(st.st_mode)) return block_device_ && st.st_rdev == device_;
    return !block_device_ && st.st_dev == device_ && st.st_ino == inode_;
}

void UndoJournal::save_region(std::uint64_t offset, std::uint64_t length) {
    if (offset >= size_ || length == 0) return;
    const std::uint64_t end = std::min(size_, offset + length);
    const std::lock_guard<std::mutex> lock(mutex_);
    // The parts of [offset, end) not saved before, each saved in records of at most 16 MiB.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> gaps;
    std::uint64_t at = offset;
    auto next = saved_.upper_bound(at);
    if (next != saved_.begin() && std::prev(next)->second > at) at = std::prev(next)->second;
    for (; at < end; ++next) {
        const std::uint64_t gap_end = next == saved_.end() ? end : std::min(end, next->first);
        if (gap_end > at) gaps.emplace_back(at, gap_end);
        if (next == saved_.end()) break;
        at = std::max(at, next->second);
    }
    if (gaps.empty()) return;
    std::vector<unsigned char> record;
    for (const auto& [from, to] : gaps)
        for (std::uint64_t piece = from; piece < to; piece += largest_record) {
            const std::size_t n = static_cast<std::size_t>(std::min(largest_record, to - piece));
            record.resize(record_head + n);
            put_le(record.data(), piece, 8);
            put_le(record.data() + 8, n, 4);
            read_exact(target_fd_, record.data() + record_head, n, piece, target_);
            put_le(record.data() + 12, record_crc(record.data(), record.data() + record_head, n), 4);
            // On a device, the record is followed by an end mark (a head of zeros), within its size.
            if (journal_device_) {
                if (end_ + record.size() + record_head > journal_size_)
                    throw Error(ErrorKind::failed, "the undo journal " + path_ + " is full (" + std::to_string(journal_size_) + " bytes)");
                record.resize(record.size() + record_head, 0);
            }
            write_exact(journal_fd_, record.data(), record.size(), end_, path_);
            end_ += record_head + n;
            saved_bytes_ += n;
        }
    // Synced before the write it guards is made: after a crash, every write that reached the
    // target has its before-image in the journal.
    if (::fdatasync(journal_fd_) != 0) throw_errno("cannot sync the undo journal " + path_);
    for (const auto& [from, to] : gaps) {
        std::uint64_t start = from, stop = to;
        auto it = saved_.lower_bound(start);
        if (it != saved_.begin() && std::prev(it)->second >= start) --it;
        while (it != saved_.end() && it->first <= stop) {
            start = std::min(start, it->first);
            stop = std::max(stop, it->second);
            it = saved_.erase(it);
        }
        saved_[start] = stop;
    }
}

void set_undo_journal(UndoJournal* journal) { active_journal = journal; }

void guard_write(int fd, std::uint64_t offset, std::uint64_t length) {
    UndoJournal* journal = active_journal.load();
    if (journal && journal->guards(fd)) journal->save_region(offset, length);
}

UndoReport undo_journal(const std::string& journal, const std::string& target, bool dry_run) {
    const UniqueFd in = UniqueFd::open(journal, O_RDONLY);
    const std::uint64_t journal_size = size_of(in.get(), journal);
    const bool device = is_block_device(in.get());  // its records end at a head of zeros
    unsigned char header[header_size];
    if (journal_size < header_size) throw Error(ErrorKind::failed, journal + " is not an undo journal (too short)");
    read_exact(in.get(), header, header_size, 0, journal);
    if (std::memcmp(header, magic, sizeof magic - 1) != 0) throw Error(ErrorKind::failed, journal + " is not an undo journal");
    const UniqueFd out = UniqueFd::open(target, dry_run ? O_RDONLY : O_RDWR);
    const std::uint64_t size = size_of(out.get(), target);
    if (get_le(header + sizeof magic - 1, 8) != size)
        throw Error(ErrorKind::refused, journal + " was made for a target of " + std::to_string(get_le(header + sizeof magic - 1, 8)) + " bytes; " + target +
                                            " has " + std::to_string(size) + " (nothing was written)");
    // Every record checked before the first byte is written back: a damaged journal writes nothing.
    struct Record {
        std::uint64_t at, offset;
        std::uint32_t length;
    };
    std::vector<Record> records;
    UndoReport report;
    std::vector<unsigned char> data;
    for (std::uint64_t at = header_size; at < journal_size;) {
        unsigned char head[record_head];
        if (journal_size - at < record_head) {
            report.torn_tail = true;
            break;
        }
        read_exact(in.get(), head, record_head, at, journal);
        if (device && all_zero(head, record_head)) break;
        const std::uint64_t offset = get_le(head, 8);
        const auto length = static_cast<std::uint32_t>(get_le(head + 8, 4));
        // The last record: nothing after it in a file; on a device, the end mark (or the device's
        // end) where it ends. A record cut short as it was saved can only be the last.
        bool last = journal_size - at - record_head <= length;
        if (device) {
            const std::uint64_t next = at + record_head + length;
            last = length != 0 && length <= largest_record;
            if (last && next + record_head <= journal_size) {
                unsigned char after[record_head];
                read_exact(in.get(), after, record_head, next, journal);
                last = all_zero(after, record_head);
            }
        }
        if (length == 0 || length > largest_record || offset + length > size || journal_size - at - record_head < length) {
            if (last) {  // cut while being appended: its write was never made
                report.torn_tail = true;
                break;
            }
            throw Error(ErrorKind::failed, journal + " is damaged at byte " + std::to_string(at) + " (nothing was written)");
        }
        data.resize(length);
        read_exact(in.get(), data.data(), length, at + record_head, journal);
        if (record_crc(head, data.data(), length) != get_le(head + 12, 4)) {
            if (device ? last : journal_size - at - record_head == length) {
                report.torn_tail = true;
                break;
            }
            throw Error(ErrorKind::failed, journal + " is damaged at byte " + std::to_string(at) + " (its checksum; nothing was written)");
        }
        records.push_back({at + record_head, offset, length});
        at += record_head + length;
    }
    for (auto it = records.rbegin(); it != records.rend(); ++it) {
        ++report.regions;
        report.bytes += it->length;
        if (dry_run) continue;
        data.resize(it->length);
        read_exact(in.get(), data.data(), it->length, it->at, journal);
        write_exact(out.get(), data.data(), it->length, it->offset, target);
    }
    if (!dry_run && ::fsync(out.get()) != 0) throw_errno("cannot sync " + target);
    return report;
}

}  // namespace dagda
