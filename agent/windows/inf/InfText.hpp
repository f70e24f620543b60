#pragma once
/// The lowest layer of the INF reader: bytes to UTF-8 text, and text to sections of lines split
/// into key and fields, following Microsoft's "General syntax rules for INF files".
///
/// Nothing here knows what a section means; string substitution and lookups are in InfFile.hpp.
/// Every error is a dagda::Error{failed} whose message starts with "<file>:<line>: ".

#include "core/Error.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dagda::windows::inf {

/// Largest INF file accepted, in bytes. Real INFs are a few KiB (in-box ones under 1 MiB); the
/// bound keeps a hostile file from costing more than a few times this in memory.
inline constexpr std::size_t max_inf_bytes = 4 * 1024 * 1024;

/// Longest logical line accepted, in characters (code points), after joining continuation lines
/// and without its comment. Windows documents the same limit for a line and for a field.
inline constexpr std::size_t max_line_chars = 4096;

/// One logical line of a section: `key = field, field, ...` or just `field, field, ...`.
struct InfRawLine {
    unsigned line = 0;                ///< 1-based number of its first physical line
    bool has_key = false;             ///< an unquoted '=' came before any unquoted ','
    std::string key;                  ///< the text before '=' (quotes removed, blanks trimmed)
    std::vector<std::string> fields;  ///< comma-separated values; quotes removed, `""` read as `"`,
                                      ///< unquoted leading and trailing blanks trimmed; may be empty
};

/// One `[name]` header and the lines under it, as written (same-name sections are not merged here).
struct InfRawSection {
    std::string name;                 ///< between the brackets, blanks trimmed, case kept
    unsigned line = 0;                ///< line of the header
    std::vector<InfRawLine> lines;
};

/// The error every INF layer throws: Error{failed} with "<file>:<line>: <what>".
Error inf_error(const std::string& file, unsigned line, const std::string& what);

/// Decodes an INF file's bytes to UTF-8: UTF-16LE or UTF-16BE with a BOM, UTF-8 with a BOM,
/// UTF-16LE without a BOM when the first character is ASCII (its second byte is zero), and
/// anything else as Windows-1252 ("ANSI", what setupapi assumes on western systems).
/// Trailing NUL and Ctrl-Z bytes (old editors' padding) are dropped. Throws inf_error naming
/// `file` for a file over max_inf_bytes, odd-length UTF-16, unpaired surrogates, invalid UTF-8
/// after a UTF-8 BOM, or a NUL character inside the text.
std::string decode_inf_bytes(const std::vector<std::uint8_t>& bytes, const std::string& file);

/// Splits decoded text into sections. Lines end at CRLF, LF or CR; ';' outside quotes starts a
/// comment; a '\' that is the last non-blank character outside quotes joins the next line.
/// Throws inf_error naming `file` and the line for an unterminated quote, a line before any
/// section header, a '[' without ']', an empty section name, or a line over max_line_chars.
std::vector<InfRawSection> split_inf_text(const std::string& text, const std::string& file);

}  // namespace dagda::windows::inf
