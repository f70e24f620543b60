#include "windows/inf/InfFile.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace dagda::windows::inf {

namespace {

bool is_strings_section(std::string_view lower_name) {
    return lower_name == "strings" || lower_name.substr(0, 8) == "strings.";
}

// Preference of a [Strings...] section: lower ranks win; other languages follow in file order.
int strings_rank(std::string_view lower_name) {
    if (lower_name == "strings.0409") return 0;
    if (lower_name == "strings.0009") return 1;
    if (lower_name == "strings") return 2;
    if (lower_name == "strings.0000") return 3;
    return 4;
}

std::string joined(const std::vector<std::string>& fields) {
    std::string out;
    for (std::size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + fields[i];
    return out;
}

bool all_digits(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string ascii_lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && ascii_lower(a) == ascii_lower(b);
}

std::optional<std::uint32_t> parse_inf_number(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    unsigned base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text.remove_prefix(2);
    }
    if (text.empty()) return std::nullopt;
    std::uint64_t value = 0;
    for (const char c : text) {
        unsigned digit = 0;
        if (c >= '0' && c <= '9') digit = static_cast<unsigned>(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f') digit = static_cast<unsigned>(c - 'a' + 10);
        else if (base == 16 && c >= 'A' && c <= 'F') digit = static_cast<unsigned>(c - 'A' + 10);
        else return std::nullopt;
        value = value * base + digit;
        if (value > 0xFFFFFFFFull) return std::nullopt;
    }
    return static_cast<std::uint32_t>(value);
}

const InfLine* InfSection::find(std::string_view key) const {
    for (const InfLine& entry : lines) {
        if (entry.has_key && iequals(entry.key, key)) return &entry;
    }
    return nullptr;
}

std::vector<const InfLine*> InfSection::find_all(std::string_view key) const {
    std::vector<const InfLine*> out;
    for (const InfLine& entry : lines) {
        if (entry.has_key && iequals(entry.key, key)) out.push_back(&entry);
    }
    return out;
}

InfFile::InfFile(std::string file, std::string text, const std::vector<InfRawSection>& raw)
    : file_(std::move(file)), text_(std::move(text)) {
    // Strings first: every other section is expanded with them.
    std::vector<std::pair<int, std::map<std::string, std::string>>> ranked;
    for (const InfRawSection& section : raw) {
        const std::string lower = ascii_lower(section.name);
        if (!is_strings_section(lower)) continue;
        std::map<std::string, std::string> values;
        for (const InfRawLine& line : section.lines) {
            if (line.has_key) values.emplace(ascii_lower(line.key), joined(line.fields));
        }
        ranked.emplace_back(strings_rank(lower), std::move(values));
    }
    std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& entry : ranked) strings_.push_back(std::move(entry.second));

    std::size_t expanded = 0;
    for (const InfRawSection& section : raw) {
        const std::string lower = ascii_lower(section.name);
        auto [at, added] = index_.emplace(lower, sections_.size());
        if (added) sections_.push_back(InfSection{section.name, section.line, {}});
        InfSection& target = sections_[at->second];
        const bool literal = is_strings_section(lower);
        for (const InfRawLine& raw_line : section.lines) {
            InfLine line;
            line.line = raw_line.line;
            line.has_key = raw_line.has_key;
            line.key = literal ? raw_line.key : expand(raw_line.key, line.key_undefined, raw_line.line);
            for (const std::string& field : raw_line.fields) {
                std::string undefined;
                line.fields.push_back(literal ? field : expand(field, undefined, raw_line.line));
                line.undefined.push_back(std::move(undefined));
            }
            std::size_t size = line.key.size();
            for (const std::string& field : line.fields) size += field.size();
            if (size > max_expanded_line)
                throw error(raw_line.line, "line longer than " + std::to_string(max_expanded_line) + " bytes after string substitution");
            expanded += size;
            if (expanded > max_expanded_inf)
                throw error(raw_line.line, "the INF grows past " + std::to_string(max_expanded_inf) + " bytes after string substitution");
            target.lines.push_back(std::move(line));
        }
    }
}

std::string InfFile::expand(const std::string& raw, std::string& undefined, unsigned line) const {
    std::string out;
    for (std::size_t i = 0; i < raw.size();) {
        const std::size_t close = raw[i] == '%' ? raw.find('%', i + 1) : std::string::npos;
        if (close == std::string::npos) {
            out += raw[i++];
            continue;
        }
        const std::string token = raw.substr(i + 1, close - i - 1);
        if (token.empty()) {
            out += '%';  // `%%`
        } else if (all_digits(token)) {
            out += raw.substr(i, close - i + 1);  // a dirid such as %12%: the package layer resolves it
        } else if (std::optional<std::string> value = string(token)) {
            out += *value;
        } else {
            out += raw.substr(i, close - i + 1);
            if (undefined.empty()) undefined = token;
        }
        i = close + 1;
        if (out.size() > max_expanded_field) {
            throw error(line, "field longer than " + std::to_string(max_expanded_field) + " bytes after string substitution");
        }
    }
    return out;
}

const InfSection* InfFile::find(std::string_view name) const {
    const auto at = index_.find(ascii_lower(name));
    return at == index_.end() ? nullptr : &sections_[at->second];
}

const InfSection& InfFile::section(std::string_view name, unsigned referenced_at, std::string_view by_what) const {
    if (const InfSection* found = find(name)) return *found;
    throw error(referenced_at, std::string(by_what) + " names a missing section [" + std::string(name) + "]");
}

std::vector<std::string> InfFile::section_names() const {
    std::vector<std::string> out;
    for (const InfSection& section : sections_) out.push_back(section.name);
    return out;
}

std::optional<std::string> InfFile::string(std::string_view key) const {
    const std::string lower = ascii_lower(key);
    for (const auto& values : strings_) {
        const auto at = values.find(lower);
        if (at != values.end()) return at->second;
    }
    return std::nullopt;
}

const std::string& InfFile::required(const InfLine& line, std::size_t index, std::string_view what) const {
    if (index < line.fields.size() && !line.undefined[index].empty()) {
        throw error(line.line, std::string(what) + " uses %" + line.undefined[index] + "%, which no [Strings] section defines");
    }
    if (index >= line.fields.size() || line.fields[index].empty()) throw error(line.line, std::string(what) + " is missing");
    return line.fields[index];
}

const std::string& InfFile::optional(const InfLine& line, std::size_t index) {
    static const std::string none;
    return index < line.fields.size() ? line.fields[index] : none;
}

InfFile parse_inf_text(const std::string& text, const std::string& file) {
    InfFile inf(file, text, split_inf_text(text, file));
    const InfSection* version = inf.find("Version");
    if (!version) throw inf.error(1, "no [Version] section");
    const InfLine* signature = version->find("Signature");
    if (!signature) throw inf.error(version->line, "[Version] has no Signature");
    const std::string& value = InfFile::optional(*signature, 0);
    if (!iequals(value, "$Windows NT$") && !iequals(value, "$Chicago$") && !iequals(value, "$Windows 95$")) {
        throw inf.error(signature->line, "unknown Signature \"" + value + "\" (expected \"$Windows NT$\")");
    }
    return inf;
}

InfFile parse_inf(const std::vector<std::uint8_t>& bytes, const std::string& file) {
    return parse_inf_text(decode_inf_bytes(bytes, file), file);
}

InfFile load_inf(const std::string& path) {
    std::error_code ec;
    const std::uintmax_t size = std::filesystem::file_size(path, ec);
    if (ec) throw Error(ErrorKind::failed, path + ": " + ec.message());
    if (size > max_inf_bytes) {
        throw inf_error(path, 1, "file is " + std::to_string(size) + " bytes; INF files over " +
                                     std::to_string(max_inf_bytes) + " bytes are refused");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorKind::failed, path + ": cannot open: " + std::strerror(errno));
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (in.gcount() != static_cast<std::streamsize>(bytes.size())) throw Error(ErrorKind::failed, path + ": short read");
    return parse_inf(bytes, path);
}

}  // namespace dagda::windows::inf
