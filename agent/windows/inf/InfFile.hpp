#pragma once
/// A parsed INF file: merged sections whose keys and fields have their `%strkey%` tokens
/// replaced from the [Strings] sections, plus the lookups the driver-package layer needs.

#include "windows/inf/InfText.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dagda::windows::inf {

/// Longest field accepted after string substitution, in bytes; bounds what a small file can
/// expand to (a 4096-character line of `%a%` tokens could otherwise grow a thousandfold).
inline constexpr std::size_t max_expanded_field = 16 * 1024;
/// Longest line (all its fields) and largest whole INF after substitution: a 4 MiB file of
/// `%a%` tokens must not expand to gigabytes on the rescue machine.
inline constexpr std::size_t max_expanded_line = 64 * 1024;
inline constexpr std::size_t max_expanded_inf = 16 * 1024 * 1024;

/// One line of a section after string substitution.
struct InfLine {
    unsigned line = 0;                   ///< 1-based line number in the file (first physical line)
    bool has_key = false;
    std::string key;                     ///< `%strkey%` replaced; case kept
    std::vector<std::string> fields;     ///< `%strkey%` replaced, `%%` read as `%`; dirid tokens
                                         ///< such as `%12%` are kept for the package layer
    std::string key_undefined;           ///< first `%name%` in the key not defined in any [Strings]
    std::vector<std::string> undefined;  ///< per field, like key_undefined ("" when all defined);
                                         ///< such a token stays in the text as `%name%`
};

/// All lines of every `[name]` header with the same name (case-insensitive), in file order.
struct InfSection {
    std::string name;                    ///< as first written
    unsigned line = 0;                   ///< line of the first header
    std::vector<InfLine> lines;

    /// First line whose key equals `key` (case-insensitive), or nullptr.
    const InfLine* find(std::string_view key) const;
    /// Every line whose key equals `key` (case-insensitive), in order.
    std::vector<const InfLine*> find_all(std::string_view key) const;
};

/// A parsed INF. Built by parse_inf / load_inf; cheap to copy (a few KiB for real INFs).
class InfFile {
public:
    InfFile(std::string file, std::string text, const std::vector<InfRawSection>& raw);

    /// The name errors use (what parse_inf was given, or the path for load_inf).
    const std::string& file() const noexcept { return file_; }
    /// The decoded UTF-8 text (template stamping rewrites it and parses again).
    const std::string& text() const noexcept { return text_; }

    /// Section `name` (case-insensitive), or nullptr.
    const InfSection* find(std::string_view name) const;
    /// Section `name`; throws inf_error at `referenced_at` ("... names a missing section [x]").
    const InfSection& section(std::string_view name, unsigned referenced_at, std::string_view by_what) const;
    /// Names of all sections, as first written, in file order.
    std::vector<std::string> section_names() const;

    /// The value of `%key%`: [Strings.0409], then [Strings.0009], [Strings], [Strings.0000],
    /// then any other [Strings.<langid>] in file order (so an English reading wins).
    std::optional<std::string> string(std::string_view key) const;

    /// Field `index` of `line` when it is present, not empty and has no undefined `%strkey%`;
    /// otherwise throws inf_error at the line saying `what` is missing or undefined.
    const std::string& required(const InfLine& line, std::size_t index, std::string_view what) const;
    /// Field `index` of `line`, or "" when the line has fewer fields (undefined tokens kept).
    static const std::string& optional(const InfLine& line, std::size_t index);

    /// inf_error naming this file and `line`.
    Error error(unsigned line, const std::string& what) const { return inf_error(file_, line, what); }

private:
    std::string expand(const std::string& raw, std::string& undefined, unsigned line) const;

    std::string file_;
    std::string text_;
    std::vector<InfSection> sections_;
    std::map<std::string, std::size_t> index_;  // lower-case name -> sections_
    std::vector<std::map<std::string, std::string>> strings_;  // by preference; keys lower-case
};

/// Lower-case ASCII copy (INF names and keys compare case-insensitively; non-ASCII is kept).
std::string ascii_lower(std::string_view text);
/// Case-insensitive ASCII equality.
bool iequals(std::string_view a, std::string_view b);

/// A number as INF files write them: decimal or 0x-prefixed hex, at most 32 bits, blanks
/// trimmed. std::nullopt when the text is not such a number.
std::optional<std::uint32_t> parse_inf_number(std::string_view text);

/// Parses an INF from its bytes (any encoding decode_inf_bytes accepts). `file` names the file
/// in errors. Checks that [Version] exists and carries a known Signature ("$Windows NT$",
/// "$Chicago$" or "$Windows 95$"). Throws inf_error for any malformed input.
InfFile parse_inf(const std::vector<std::uint8_t>& bytes, const std::string& file);

/// parse_inf on already decoded UTF-8 text.
InfFile parse_inf_text(const std::string& text, const std::string& file);

/// Reads and parses the INF at `path` (errors name the path). Refuses files over max_inf_bytes
/// before reading them; throws Error{failed} when the file cannot be read.
InfFile load_inf(const std::string& path);

}  // namespace dagda::windows::inf
