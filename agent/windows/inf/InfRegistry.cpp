#include "windows/inf/InfRegistry.hpp"

#include <optional>

namespace dagda::windows::inf {

namespace {

// The type part of the flags: bit 0 plus the high word (FLG_ADDREG_TYPE_MASK).
constexpr std::uint32_t type_mask = 0xFFFF0001;

RegRoot parse_root(const InfFile& inf, const InfLine& line) {
    const std::string root = ascii_lower(inf.required(line, 0, "AddReg registry root"));
    if (root == "hkcr") return RegRoot::hkcr;
    if (root == "hkcu") return RegRoot::hkcu;
    if (root == "hklm") return RegRoot::hklm;
    if (root == "hku") return RegRoot::hku;
    if (root == "hkr") return RegRoot::hkr;
    throw inf.error(line.line, "unknown registry root \"" + line.fields[0] + "\" (expected HKCR, HKCU, HKLM, HKU or HKR)");
}

// REG_* type of the flags, or nullopt for a combination the documentation does not define.
std::optional<ValueType> value_type(std::uint32_t flags) {
    const std::uint32_t high = (flags & type_mask) >> 16;
    if ((flags & 1) == 0) {
        if (high == 0) return ValueType::sz;
        if (high == 1) return ValueType::multi_sz;
        if (high == 2) return ValueType::expand_sz;
        return std::nullopt;
    }
    if (high == 0) return ValueType::binary;
    if (high == 1) return ValueType::dword;
    if (high == 2) return ValueType::none;
    return static_cast<ValueType>(high);  // FLG_ADDREG_BINVALUETYPE: the high word is the type, the data is bytes
}

std::vector<std::uint8_t> parse_bytes(const InfFile& inf, const InfLine& line) {
    std::vector<std::uint8_t> bytes;
    for (std::size_t i = 4; i < line.fields.size(); ++i) {
        std::string text = line.fields[i];
        if (text.empty() && i + 1 == line.fields.size()) break;  // a trailing comma
        if (text.size() < 2 || (text[0] != '0' || (text[1] != 'x' && text[1] != 'X'))) text = "0x" + text;
        const std::optional<std::uint32_t> value = parse_inf_number(text);
        if (!value || *value > 0xFF) throw inf.error(line.line, "AddReg byte \"" + line.fields[i] + "\" is not a hex byte");
        bytes.push_back(static_cast<std::uint8_t>(*value));
    }
    return bytes;
}

std::uint32_t parse_dword(const InfFile& inf, const InfLine& line) {
    if (line.fields.size() > 5) {  // written as bytes, least significant first
        const std::vector<std::uint8_t> bytes = parse_bytes(inf, line);
        if (bytes.size() > 4) throw inf.error(line.line, "AddReg DWORD written as more than four bytes");
        std::uint32_t value = 0;
        for (std::size_t i = 0; i < bytes.size(); ++i) value |= std::uint32_t{bytes[i]} << (8 * i);
        return value;
    }
    const std::string& text = InfFile::optional(line, 4);
    if (text.empty()) return 0;
    const std::optional<std::uint32_t> value = parse_inf_number(text);
    if (!value) throw inf.error(line.line, "AddReg DWORD value \"" + text + "\" is not a number");
    return *value;
}

void check_defined(const InfFile& inf, const InfLine& line) {
    for (std::size_t i = 0; i < line.fields.size(); ++i) {
        if (!line.undefined[i].empty()) inf.required(line, i, "AddReg field " + std::to_string(i + 1));
    }
}

RegEntry read_entry(const InfFile& inf, const InfSection& section, const InfLine& line) {
    if (line.has_key) throw inf.error(line.line, "AddReg line has an '=' (expected root, subkey, value name, flags, data)");
    check_defined(inf, line);
    RegEntry entry;
    entry.root = parse_root(inf, line);
    entry.subkey = InfFile::optional(line, 1);
    entry.value_name = InfFile::optional(line, 2);
    entry.section = section.name;
    entry.line = line.line;
    const std::string& flags = InfFile::optional(line, 3);
    if (!flags.empty()) {
        const std::optional<std::uint32_t> value = parse_inf_number(flags);
        if (!value) throw inf.error(line.line, "AddReg flags \"" + flags + "\" are not a number");
        entry.flags = *value;
    }
    entry.key_only = (entry.flags & (addreg_flag::keyonly | addreg_flag::keyonly_common)) != 0;
    const std::optional<ValueType> type = value_type(entry.flags);
    if (!type) throw inf.error(line.line, "AddReg flags " + flags + " name no known value type");
    entry.type = *type;
    if (entry.key_only) return entry;
    if (entry.type == ValueType::sz || entry.type == ValueType::expand_sz) {
        entry.strings.push_back(InfFile::optional(line, 4));
    } else if (entry.type == ValueType::multi_sz) {
        for (std::size_t i = 4; i < line.fields.size(); ++i) {
            if (!line.fields[i].empty()) entry.strings.push_back(line.fields[i]);  // REG_MULTI_SZ has no empty members
        }
    } else if (entry.type == ValueType::dword) {
        entry.dword = parse_dword(inf, line);
    } else {
        entry.bytes = parse_bytes(inf, line);
    }
    return entry;
}

}  // namespace

const char* to_string(RegRoot root) noexcept {
    switch (root) {
        case RegRoot::hkcr: return "HKCR";
        case RegRoot::hkcu: return "HKCU";
        case RegRoot::hklm: return "HKLM";
        case RegRoot::hku: return "HKU";
        case RegRoot::hkr: return "HKR";
    }
    return "?";
}

std::vector<RegEntry> read_add_reg_section(const InfFile& inf, const InfSection& section) {
    std::vector<RegEntry> entries;
    for (const InfLine& line : section.lines) entries.push_back(read_entry(inf, section, line));
    return entries;
}

std::vector<RegEntry> add_reg_entries(const InfFile& inf, const InfSection& install) {
    std::vector<RegEntry> entries;
    for (const InfLine* directive : install.find_all("AddReg")) {
        for (std::size_t i = 0; i < directive->fields.size(); ++i) {
            if (directive->fields[i].empty()) continue;
            const std::string& name = inf.required(*directive, i, "AddReg");
            const std::vector<RegEntry> more = read_add_reg_section(inf, inf.section(name, directive->line, "AddReg"));
            entries.insert(entries.end(), more.begin(), more.end());
        }
    }
    return entries;
}

}  // namespace dagda::windows::inf
