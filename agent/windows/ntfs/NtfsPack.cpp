// NTFS files to a zip or tar stream through libarchive: walk() (NtfsFiles.hpp) feeds an
// ArchiveSink, which names each entry and hands its bytes to libarchive as they are read, so a
// folder of any size streams with one read buffer of memory.

#include "windows/ntfs/NtfsPack.hpp"

#include "core/Error.hpp"
#include "windows/ntfs/NtfsFiles.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <clocale>
#include <locale.h>
#include <memory>

namespace dagda::windows::ntfs {

namespace {

struct ArchiveWriterFree {
    void operator()(struct archive* writer) const { archive_write_free(writer); }
};
using ArchiveWriter = std::unique_ptr<struct archive, ArchiveWriterFree>;

struct ArchiveEntryFree {
    void operator()(struct archive_entry* entry) const { archive_entry_free(entry); }
};
using ArchiveEntry = std::unique_ptr<struct archive_entry, ArchiveEntryFree>;

/// C.UTF-8 as this thread's locale while it lives: libarchive converts entry names through the
/// locale, and in the C locale a name beyond ASCII has no form it can write (Debian's 3.6.2 then
/// crashes in the pax writer). Per thread (uselocale), so nothing else of the process changes.
class Utf8ThreadLocale {
public:
    Utf8ThreadLocale() : locale_(::newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0))) {
        if (locale_ == static_cast<locale_t>(0)) throw Error(ErrorKind::failed, "the C.UTF-8 locale is missing: names cannot be written");
        previous_ = ::uselocale(locale_);
    }
    ~Utf8ThreadLocale() {
        ::uselocale(previous_);
        ::freelocale(locale_);
    }
    Utf8ThreadLocale(const Utf8ThreadLocale&) = delete;
    Utf8ThreadLocale& operator=(const Utf8ThreadLocale&) = delete;

private:
    locale_t locale_;
    locale_t previous_ = static_cast<locale_t>(0);
};

class ArchiveSink final : public TreeSink {
public:
    ArchiveSink(PackFormat format, int fd, std::string root_name) : writer_(archive_write_new()), root_(std::move(root_name)) {
        if (!writer_) throw Error(ErrorKind::failed, "libarchive: out of memory");
        if (format == PackFormat::zip) {
            check(archive_write_set_format_zip(writer_.get()), "choose zip");
            // Stored: deflating would make the download as slow as one core compresses.
            // hdrcharset: names are flagged UTF-8 (bit 11), as Windows' own unzip reads them.
            check(archive_write_set_options(writer_.get(), "zip:compression=store,zip:hdrcharset=UTF-8"), "set zip options");
        } else {
            check(archive_write_set_format_pax_restricted(writer_.get()), "choose tar");
        }
        // Unblocked: each piece goes out as it comes (a pipe to a download), and nothing pads the end.
        check(archive_write_set_bytes_per_block(writer_.get(), 0), "set the block size");
        check(archive_write_open_fd(writer_.get(), fd), "open the output");
    }

    void folder(const std::string& relative, std::int64_t modified) override {
        const ArchiveEntry entry = make_entry(relative, AE_IFDIR, 0755, 0, modified);
        check(archive_write_header(writer_.get(), entry.get()), "write the entry of " + name_of(relative));
    }
    void begin_file(const std::string& relative, std::uint64_t size, std::int64_t modified) override {
        current_ = name_of(relative);
        const ArchiveEntry entry = make_entry(relative, AE_IFREG, 0644, size, modified);
        check(archive_write_header(writer_.get(), entry.get()), "write the entry of " + current_);
    }
    void file_data(const char* bytes, std::size_t length) override {
        while (length > 0) {
            const la_ssize_t put = archive_write_data(writer_.get(), bytes, length);
            if (put <= 0) check(ARCHIVE_FATAL, "write " + current_);
            bytes += put;
            length -= static_cast<std::size_t>(put);
        }
    }
    void end_file() override { check(archive_write_finish_entry(writer_.get()), "finish " + current_); }

    /// Writes the archive's end (a zip's central directory, a tar's end blocks).
    void close() { check(archive_write_close(writer_.get()), "finish the archive"); }

private:
    std::string name_of(const std::string& relative) const { return relative.empty() ? root_ : root_ + "/" + relative; }

    ArchiveEntry make_entry(const std::string& relative, unsigned type, unsigned mode, std::uint64_t size, std::int64_t modified) const {
        ArchiveEntry entry(archive_entry_new());
        if (!entry) throw Error(ErrorKind::failed, "libarchive: out of memory");
        // NTFS names arrive as UTF-8 (libntfs-3g's ntfs_ucstombs); set as such, whatever the locale.
        archive_entry_update_pathname_utf8(entry.get(), name_of(relative).c_str());
        archive_entry_set_filetype(entry.get(), type);
        archive_entry_set_perm(entry.get(), mode);
        archive_entry_set_size(entry.get(), static_cast<la_int64_t>(size));
        archive_entry_set_mtime(entry.get(), static_cast<time_t>(modified), 0);
        return entry;
    }

    void check(int status, const std::string& what) const {
        if (status >= ARCHIVE_WARN) return;
        const char* reason = archive_error_string(writer_.get());
        throw Error(ErrorKind::failed, "cannot " + what + ": " + (reason ? reason : "libarchive failed"));
    }

    ArchiveWriter writer_;
    std::string root_;
    std::string current_;
};

}  // namespace

PackFormat parse_pack_format(const std::string& text) {
    if (text == "zip") return PackFormat::zip;
    if (text == "tar") return PackFormat::tar;
    throw Error(ErrorKind::usage, "unknown archive format \"" + text + "\" (zip or tar)");
}

std::uint64_t pack(const NtfsVolume& volume, const std::string& path, PackFormat format, int fd, const std::string& root_name) {
    const Utf8ThreadLocale utf8;
    ArchiveSink sink(format, fd, root_name);
    const std::uint64_t files = walk(volume, path, sink);
    sink.close();
    return files;
}

}  // namespace dagda::windows::ntfs
