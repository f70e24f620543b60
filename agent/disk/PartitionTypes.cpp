#include "disk/PartitionTypes.hpp"

#include "core/Error.hpp"

#include <array>
#include <cctype>
#include <cstdio>

namespace dagda::disk {

namespace {

struct DosType {
    unsigned code;
    TypeInfo info;
};

struct GptType {
    const char* guid;
    TypeInfo info;
};

// The types a recovery meets on Windows and Linux servers; others are written as given.
constexpr std::array<DosType, 20> dos_types{{
    {0x01, {"FAT12", TypeRole::data}},
    {0x04, {"FAT16 <32M", TypeRole::data}},
    {0x05, {"Extended", TypeRole::container}},
    {0x06, {"FAT16", TypeRole::data}},
    {0x07, {"NTFS/exFAT/HPFS", TypeRole::data}},
    {0x0b, {"W95 FAT32", TypeRole::data}},
    {0x0c, {"W95 FAT32 (LBA)", TypeRole::data}},
    {0x0e, {"W95 FAT16 (LBA)", TypeRole::data}},
    {0x0f, {"W95 Ext'd (LBA)", TypeRole::container}},
    {0x12, {"Compaq diagnostics", TypeRole::system}},
    {0x17, {"Hidden NTFS", TypeRole::other}},
    {0x27, {"Hidden NTFS WinRE", TypeRole::system}},
    {0x42, {"SFS (Windows dynamic disk)", TypeRole::other}},
    {0x82, {"Linux swap", TypeRole::system}},
    {0x83, {"Linux", TypeRole::data}},
    {0x85, {"Linux extended", TypeRole::container}},
    {0x8e, {"Linux LVM", TypeRole::data}},
    {0xde, {"Dell Utility", TypeRole::system}},
    {0xef, {"EFI (FAT-12/16/32)", TypeRole::system}},
    {0xfd, {"Linux raid autodetect", TypeRole::data}},
}};

constexpr std::array<GptType, 13> gpt_types{{
    {"C12A7328-F81F-11D2-BA4B-00A0C93EC93B", {"EFI System", TypeRole::system}},
    {"E3C9E316-0B5C-4DB8-817D-F92DF00215AE", {"Microsoft reserved", TypeRole::system}},
    {"EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", {"Microsoft basic data", TypeRole::data}},
    {"DE94BBA4-06D1-4D40-A16A-BFD50179D6AC", {"Windows recovery environment", TypeRole::system}},
    {"5808C8AA-7E8F-42E0-85D2-E1E90434CFB3", {"Microsoft LDM metadata", TypeRole::other}},
    {"AF9B60A0-1431-4F62-BC68-3311714A69AD", {"Microsoft LDM data", TypeRole::other}},
    {"E75CAF8F-F680-4CEE-AFA3-B001E56EFC2D", {"Microsoft Storage Spaces", TypeRole::other}},
    {"21686148-6449-6E6F-744E-656564454649", {"BIOS boot", TypeRole::system}},
    {"0FC63DAF-8483-4772-8E79-3D69D8477DE4", {"Linux filesystem", TypeRole::data}},
    {"0657FD6D-A4AB-43C4-84E5-0933C84B4F4F", {"Linux swap", TypeRole::system}},
    {"E6D6D379-F507-44C2-A23C-238F2A3DF928", {"Linux LVM", TypeRole::data}},
    {"A19D880F-05FC-4D3B-A006-743F0F84911E", {"Linux RAID", TypeRole::data}},
    {"4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709", {"Linux root (x86-64)", TypeRole::data}},
}};

[[noreturn]] void unknown_type(TableKind label, const std::string& type, const std::string& why) {
    throw Error(ErrorKind::failed, std::string("unknown partition type '") + type + "' for a " +
                                       to_string(label) + " table: " + why);
}

std::string normalize_dos_type(const std::string& type) {
    std::string digits = type;
    if (digits.rfind("0x", 0) == 0 || digits.rfind("0X", 0) == 0) digits = digits.substr(2);
    if (digits.empty() || digits.size() > 2 || digits.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
        unknown_type(TableKind::dos, type, "a dos type is one byte in hex, e.g. \"7\" or \"ef\"");
    const unsigned code = static_cast<unsigned>(std::stoul(digits, nullptr, 16));
    if (code == 0) unknown_type(TableKind::dos, type, "type 0 marks an empty slot");
    char text[12];
    std::snprintf(text, sizeof text, "%x", code);
    return text;
}

}  // namespace

std::optional<std::string> normalize_guid(const std::string& text) {
    static constexpr std::array<std::size_t, 4> dashes{8, 13, 18, 23};
    if (text.size() != 36) return std::nullopt;
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const bool dash_here = i == dashes[0] || i == dashes[1] || i == dashes[2] || i == dashes[3];
        if (dash_here != (c == '-')) return std::nullopt;
        if (!dash_here && !std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
}

std::string normalize_type(TableKind label, const std::string& type) {
    if (label == TableKind::dos) return normalize_dos_type(type);
    const auto guid = normalize_guid(type);
    if (!guid) unknown_type(label, type, "a gpt type is a GUID such as EBD0A0A2-B9E5-4433-87C0-68B6B72699C7");
    if (*guid == "00000000-0000-0000-0000-000000000000") unknown_type(label, type, "the zero GUID marks an unused entry");
    return *guid;
}

std::optional<TypeInfo> describe_type(TableKind label, const std::string& type) {
    if (label == TableKind::dos) {
        const unsigned code = static_cast<unsigned>(std::stoul(type, nullptr, 16));
        for (const auto& entry : dos_types)
            if (entry.code == code) return entry.info;
        return std::nullopt;
    }
    for (const auto& entry : gpt_types)
        if (type == entry.guid) return entry.info;
    return std::nullopt;
}

bool is_extended(TableKind label, const std::string& type) {
    const auto info = describe_type(label, type);
    return info && info->role == TypeRole::container;
}

std::string type_text(TableKind label, const std::string& type) {
    const auto info = describe_type(label, type);
    const std::string what = info ? info->description : "uncatalogued type";
    if (label == TableKind::gpt) return info ? what : what + " " + type;
    char code[8];
    std::snprintf(code, sizeof code, "0x%02X", static_cast<unsigned>(std::stoul(type, nullptr, 16)));
    return std::string(code) + " " + what;
}

}  // namespace dagda::disk
