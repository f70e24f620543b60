#include "disk/GptAttributes.hpp"

#include "core/Error.hpp"

#include <array>
#include <sstream>
#include <utility>

namespace dagda::disk {

namespace {

// Bits 0-2 are defined by the UEFI spec; 48-63 belong to the partition type (sfdisk: "GUID:n").
constexpr std::array<std::pair<unsigned, const char*>, 3> named_bits{{
    {0, "RequiredPartition"}, {1, "NoBlockIOProtocol"}, {2, "LegacyBIOSBootable"}}};

[[noreturn]] void bad_token(const std::string& token, const std::string& text) {
    throw Error(ErrorKind::failed, "unknown GPT attribute '" + token + "' in \"" + text +
                                       "\" (expected RequiredPartition, NoBlockIOProtocol, "
                                       "LegacyBIOSBootable or GUID:48..63)");
}

unsigned parse_guid_bit(const std::string& digits, const std::string& text) {
    if (digits.empty() || digits.size() > 2 || digits.find_first_not_of("0123456789") != std::string::npos)
        bad_token("GUID:" + digits, text);
    const unsigned bit = static_cast<unsigned>(std::stoul(digits));
    if (bit < 48 || bit > 63) bad_token("GUID:" + digits, text);
    return bit;
}

}  // namespace

std::string format_gpt_attributes(std::uint64_t attrs) {
    std::string out;
    for (const auto& [bit, name] : named_bits) {
        if (attrs & (std::uint64_t{1} << bit)) out += (out.empty() ? "" : " ") + std::string(name);
    }
    std::string guid_bits;
    for (unsigned bit = 48; bit < 64; ++bit) {
        if (attrs & (std::uint64_t{1} << bit)) guid_bits += (guid_bits.empty() ? "" : ",") + std::to_string(bit);
    }
    if (!guid_bits.empty()) out += (out.empty() ? "GUID:" : " GUID:") + guid_bits;
    return out;
}

std::uint64_t parse_gpt_attributes(const std::string& text) {
    std::uint64_t attrs = 0;
    std::istringstream words(text);
    std::string word;
    bool in_guid_list = false;  // "GUID:60,62" and "GUID:60 GUID:62" both occur
    while (words >> word) {
        std::istringstream items(word);
        std::string item;
        while (std::getline(items, item, ',')) {
            if (item.empty()) continue;
            if (item.rfind("GUID:", 0) == 0) {
                attrs |= std::uint64_t{1} << parse_guid_bit(item.substr(5), text);
                in_guid_list = true;
                continue;
            }
            bool named = false;
            for (const auto& [bit, name] : named_bits) {
                if (item == name) {
                    attrs |= std::uint64_t{1} << bit;
                    named = true;
                }
            }
            if (named) {
                in_guid_list = false;
            } else if (in_guid_list) {
                attrs |= std::uint64_t{1} << parse_guid_bit(item, text);
            } else {
                bad_token(item, text);
            }
        }
    }
    return attrs;
}

}  // namespace dagda::disk
