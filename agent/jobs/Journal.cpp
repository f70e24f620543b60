#include "jobs/Journal.hpp"

#include "core/Crc32.hpp"
#include "core/Bytes.hpp"
#include "core/Error.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace dagda::jobs {

namespace {

constexpr std::array<std::uint8_t, 8> magic{'D', 'A', 'G', 'D', 'A', 'J', 'N', 'L'};
// Version 2 records what each finished step left on its disk (step_finished "left"). A version 1
// journal is still read (its steps lack it, so a rerun cannot trust them and starts over), and is
// marked version 2 when appended to: its records are valid version 2 records.
constexpr std::uint32_t version = 2;
constexpr std::uint32_t oldest_version = 1;
constexpr std::size_t header_size = 16;      // magic, version, reserved
constexpr std::size_t frame_size = 8;        // length, CRC-32 of the payload
constexpr std::uint32_t largest_record = 1u << 20;  // a record is a small JSON object

std::array<std::uint8_t, header_size> file_header() {
    std::array<std::uint8_t, header_size> header{};
    std::copy(magic.begin(), magic.end(), header.begin());
    store_le<std::uint32_t>(header.data() + 8, version);
    return header;
}

std::vector<std::uint8_t> read_all(int fd, const std::string& path) {
    struct stat info {};
    if (::fstat(fd, &info) != 0) throw_errno("cannot read the journal " + path);
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(info.st_size));
    if (!bytes.empty()) read_exact(fd, bytes.data(), bytes.size(), 0, "the journal " + path);
    return bytes;
}

JournalContents parse(const std::vector<std::uint8_t>& bytes, const std::string& path) {
    JournalContents contents;
    if (bytes.empty()) return contents;
    if (bytes.size() < header_size) {
        // A header cut short (nothing was ever recorded) starts like one; anything else is
        // somebody's file, not ours to overwrite.
        const std::size_t compared = std::min(bytes.size(), magic.size());
        if (!std::equal(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(compared), magic.begin()))
            throw Error(ErrorKind::failed, path + " is not a dagda job journal (no DAGDAJNL magic); refusing to overwrite it");
        contents.ignored_bytes = bytes.size();
        return contents;
    }
    if (!std::equal(magic.begin(), magic.end(), bytes.begin()))
        throw Error(ErrorKind::failed, path + " is not a dagda job journal (no DAGDAJNL magic); refusing to overwrite it");
    contents.version = load_le<std::uint32_t>(bytes.data() + 8);
    if (contents.version < oldest_version || contents.version > version)
        throw Error(ErrorKind::failed, path + ": journal version " + std::to_string(contents.version) + " is not supported (this dagda reads versions " +
                                           std::to_string(oldest_version) + " to " + std::to_string(version) + ")");
    std::size_t offset = header_size;
    while (offset + frame_size <= bytes.size()) {
        const std::uint32_t length = load_le<std::uint32_t>(bytes.data() + offset);
        const std::uint32_t crc = load_le<std::uint32_t>(bytes.data() + offset + 4);
        if (length == 0 || length > largest_record || offset + frame_size + length > bytes.size()) break;
        const std::uint8_t* payload = bytes.data() + offset + frame_size;
        if (crc32(payload, length) != crc) break;
        nlohmann::json record = nlohmann::json::parse(payload, payload + length, nullptr, false);
        if (record.is_discarded() || !record.is_object()) break;
        contents.records.push_back(std::move(record));
        offset += frame_size + length;
    }
    contents.valid_bytes = offset;
    contents.ignored_bytes = bytes.size() - offset;
    return contents;
}

}  // namespace

JournalContents read_journal(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return {};
        throw_errno("cannot open the journal " + path);
    }
    const UniqueFd owned(fd);
    return parse(read_all(fd, path), path);
}

Journal::Journal(std::string path) : path_(std::move(path)) {
    fd_ = UniqueFd::open(path_, O_RDWR | O_CREAT);
    opened_ = parse(read_all(fd_.get(), path_), path_);
    end_ = opened_.valid_bytes;
    if (end_ < header_size || opened_.version != version) {
        const auto header = file_header();
        write_exact(fd_.get(), header.data(), header.size(), 0, "the journal " + path_);
        end_ = std::max<std::uint64_t>(end_, header_size);
    }
    // Cut a torn tail so that the next record follows the last intact one.
    if (::ftruncate(fd_.get(), static_cast<off_t>(end_)) != 0 || ::fdatasync(fd_.get()) != 0)
        throw_errno("cannot prepare the journal " + path_);
}

void Journal::append(const nlohmann::json& record) {
    // Replace invalid UTF-8 (a file name from a damaged volume) rather than fail to record.
    const std::string payload = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (payload.size() > largest_record) throw Error(ErrorKind::failed, "a journal record of " + std::to_string(payload.size()) + " bytes is too large");
    std::vector<std::uint8_t> frame(frame_size + payload.size());
    store_le<std::uint32_t>(frame.data(), static_cast<std::uint32_t>(payload.size()));
    std::memcpy(frame.data() + frame_size, payload.data(), payload.size());
    store_le<std::uint32_t>(frame.data() + 4, crc32(frame.data() + frame_size, payload.size()));
    write_exact(fd_.get(), frame.data(), frame.size(), end_, "the journal " + path_);
    if (::fdatasync(fd_.get()) != 0) throw_errno("cannot sync the journal " + path_);
    end_ += frame.size();
}

}  // namespace dagda::jobs
