#include "windows/registry/HiveHeader.hpp"

#include "core/Bytes.hpp"
#include "core/Error.hpp"

#include <cstring>

namespace dagda::windows::registry {

namespace {
constexpr std::size_t base_block_size = 4096;
constexpr std::size_t checksum_offset = 0x1FC;
}  // namespace

HiveHeader parse_hive_header(const std::vector<std::uint8_t>& file, const std::string& name) {
    const auto bad = [&](const std::string& why) { throw Error(ErrorKind::failed, name + " is not a valid registry hive: " + why); };
    if (file.size() < base_block_size) bad("it is " + std::to_string(file.size()) + " bytes, shorter than a hive's 4096-byte header");
    const std::uint8_t* p = file.data();
    if (std::memcmp(p, "regf", 4) != 0) bad("it does not start with \"regf\"");
    // The checksum is the XOR of the header's first 127 little-endian dwords (0 is stored as 1,
    // -1 as -2, so that neither value can appear).
    std::uint32_t checksum = 0;
    for (std::size_t i = 0; i < checksum_offset; i += 4) checksum ^= load_le<std::uint32_t>(p + i);
    if (checksum == 0xFFFFFFFFu) checksum = 0xFFFFFFFEu;
    if (checksum == 0) checksum = 1;
    if (checksum != load_le<std::uint32_t>(p + checksum_offset)) bad("its header checksum is wrong (the header is damaged)");
    HiveHeader header;
    header.primary_sequence = load_le<std::uint32_t>(p + 4);
    header.secondary_sequence = load_le<std::uint32_t>(p + 8);
    header.major_version = load_le<std::uint32_t>(p + 20);
    header.minor_version = load_le<std::uint32_t>(p + 24);
    header.bins_size = load_le<std::uint32_t>(p + 40);
    if (header.major_version != 1) bad("its format version " + std::to_string(header.major_version) + " is not 1");
    if (header.bins_size == 0 || header.bins_size % 4096 != 0) bad("its header declares " + std::to_string(header.bins_size) + " bytes of data");
    if (base_block_size + header.bins_size > file.size())
        bad("it is truncated: the header declares " + std::to_string(base_block_size + header.bins_size) + " bytes, the file has " +
            std::to_string(file.size()));
    return header;
}

HiveVerdict judge_hive(const HiveHeader& header, const std::vector<HiveLog>& logs, const std::string& name) {
    if (!header.dirty()) return {};
    std::string with_data;
    for (const HiveLog& log : logs)
        if (log.size > 0) with_data += (with_data.empty() ? "" : ", ") + log.name + " (" + std::to_string(log.size) + " bytes)";
    const std::string sequences = " (sequence numbers " + std::to_string(header.primary_sequence) + " and " +
                                  std::to_string(header.secondary_sequence) + ")";
    if (!with_data.empty())
        return {true, name + " was not shut down cleanly" + sequences + " and its transaction logs hold changes not yet in it: " +
                          with_data + ". Dagda does not replay registry logs, and editing the hive would make Windows discard them. "
                          "Boot this Windows once and shut it down fully (not Fast Startup), then try again."};
    return {false, "warning: " + name + " is marked dirty" + sequences +
                       " but has no transaction logs with data, so no change can be lost; it is edited as it is and saved clean"};
}

}  // namespace dagda::windows::registry
