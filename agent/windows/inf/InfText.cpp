#include "windows/inf/InfText.hpp"

#include <algorithm>
#include <initializer_list>
#include <string_view>

namespace dagda::windows::inf {

namespace {

// Windows-1252 at 0x80..0x9F; the five unassigned bytes map to the C1 controls of the same
// value, as MultiByteToWideChar does. 0xA0..0xFF equal Latin-1.
constexpr char32_t cp1252_80_9f[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// The line a decoding error is on: line breaks counted the way split_inf_text counts them.
unsigned line_after(std::string_view decoded) {
    unsigned line = 1;
    for (std::size_t i = 0; i < decoded.size(); ++i) {
        if (decoded[i] == '\n' || (decoded[i] == '\r' && (i + 1 == decoded.size() || decoded[i + 1] != '\n'))) ++line;
    }
    return line;
}

using Bytes = std::vector<std::uint8_t>;

std::string decode_ansi(const Bytes& bytes, std::size_t begin) {
    std::string out;
    out.reserve(bytes.size() - begin);
    for (std::size_t i = begin; i < bytes.size(); ++i) {
        const std::uint8_t b = bytes[i];
        append_utf8(out, b >= 0x80 && b < 0xA0 ? cp1252_80_9f[b - 0x80] : char32_t{b});
    }
    return out;
}

std::string decode_utf16(const Bytes& bytes, std::size_t begin, bool big_endian, const std::string& file) {
    std::string out;
    if ((bytes.size() - begin) % 2 != 0) {
        const std::string so_far = decode_utf16(Bytes(bytes.begin(), bytes.end() - 1), begin, big_endian, file);
        throw inf_error(file, line_after(so_far), "UTF-16 text has an odd number of bytes");
    }
    out.reserve(bytes.size() - begin);
    auto unit = [&](std::size_t i) -> char32_t {
        return big_endian ? char32_t(bytes[i] << 8 | bytes[i + 1]) : char32_t(bytes[i + 1] << 8 | bytes[i]);
    };
    for (std::size_t i = begin; i < bytes.size(); i += 2) {
        const char32_t u = unit(i);
        if (u >= 0xD800 && u < 0xDC00 && i + 2 < bytes.size()) {
            const char32_t low = unit(i + 2);
            if (low >= 0xDC00 && low < 0xE000) {
                append_utf8(out, 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00));
                i += 2;
                continue;
            }
        }
        if (u >= 0xD800 && u < 0xE000) throw inf_error(file, line_after(out), "UTF-16 text has an unpaired surrogate");
        append_utf8(out, u);
    }
    return out;
}

// Length of the UTF-8 sequence starting at text[i], or 0 when it is not valid (overlong forms,
// surrogates and code points past U+10FFFF included).
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
    const auto at = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = at(i);
    if (lead < 0x80) return 1;
    std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0;
    if (length == 0 || lead > 0xF4 || i + length > text.size()) return 0;
    for (std::size_t k = 1; k < length; ++k) {
        if ((at(i + k) & 0xC0) != 0x80) return 0;
    }
    const unsigned char second = at(i + 1);
    if (lead == 0xE0 && second < 0xA0) return 0;  // overlong
    if (lead == 0xED && second >= 0xA0) return 0;  // surrogate
    if (lead == 0xF0 && second < 0x90) return 0;  // overlong
    if (lead == 0xF4 && second >= 0x90) return 0;  // past U+10FFFF
    return length;
}

std::string check_utf8(const Bytes& bytes, std::size_t begin, const std::string& file) {
    std::string out(bytes.begin() + static_cast<std::ptrdiff_t>(begin), bytes.end());
    for (std::size_t i = 0; i < out.size();) {
        const std::size_t length = utf8_sequence(out, i);
        if (length == 0) throw inf_error(file, line_after(std::string_view(out).substr(0, i)), "text after the UTF-8 BOM is not valid UTF-8");
        i += length;
    }
    return out;
}

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\f' || c == '\v'; }

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
    return text;
}

std::size_t char_count(std::string_view utf8) {
    std::size_t count = 0;
    for (const char c : utf8) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return count;
}

struct LinePiece {
    std::string_view content;  // without comment, trailing blanks and continuation mark
    bool continues = false;
};

LinePiece strip_comment(std::string_view line, const std::string& file, unsigned number) {
    bool quoted = false;
    std::size_t end = line.size();
    for (std::size_t i = 0; i < line.size(); ++i) {
        if (line[i] == '"') quoted = !quoted;  // `""` inside quotes toggles twice: still quoted
        else if (line[i] == ';' && !quoted) {
            end = i;
            break;
        }
    }
    if (quoted) throw inf_error(file, number, "unterminated quote");
    LinePiece piece{line.substr(0, end)};
    while (!piece.content.empty() && is_blank(piece.content.back())) piece.content.remove_suffix(1);
    // Quotes are balanced here, so a final '\' is outside them: the line continues.
    if (!piece.content.empty() && piece.content.back() == '\\') {
        piece.content.remove_suffix(1);
        piece.continues = true;
    }
    return piece;
}

// Accumulates one field: unquoted blanks at either end are dropped, quoted text is kept whole.
class FieldBuilder {
public:
    void quoted(char c) { text_ += c; keep_ = text_.size(); started_ = true; }
    void quote_mark() { keep_ = text_.size(); started_ = true; }
    void plain(char c) {
        if (is_blank(c)) {
            if (started_) text_ += c;
            return;
        }
        text_ += c;
        keep_ = text_.size();
        started_ = true;
    }
    bool untouched() const { return !started_; }
    std::string take() {
        text_.resize(keep_);
        std::string out = std::move(text_);
        *this = FieldBuilder();
        return out;
    }

private:
    std::string text_;
    std::size_t keep_ = 0;
    bool started_ = false;
};

InfRawLine parse_fields(std::string_view text, unsigned number) {
    InfRawLine out;
    out.line = number;
    FieldBuilder field;
    bool quoted = false;
    bool any_comma = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '"') {
            if (quoted && i + 1 < text.size() && text[i + 1] == '"') {
                field.quoted('"');
                ++i;
            } else {
                quoted = !quoted;
                field.quote_mark();
            }
        } else if (quoted) {
            field.quoted(c);
        } else if (c == ',') {
            out.fields.push_back(field.take());
            any_comma = true;
        } else if (c == '=' && !out.has_key && !any_comma) {
            out.has_key = true;
            out.key = field.take();
        } else {
            field.plain(c);
        }
    }
    // `key =` with nothing after it has no value rather than one empty value.
    const bool nothing = !any_comma && field.untouched();
    std::string last = field.take();
    if (!nothing) out.fields.push_back(std::move(last));
    return out;
}

void add_logical_line(std::vector<InfRawSection>& sections, std::string_view logical, unsigned number,
                      const std::string& file) {
    const std::string_view text = trimmed(logical);
    if (text.empty()) return;
    if (text.front() == '[') {
        const std::size_t close = text.find(']');
        if (close == std::string_view::npos) throw inf_error(file, number, "section header '[' without ']'");
        const std::string_view name = trimmed(text.substr(1, close - 1));
        if (name.empty()) throw inf_error(file, number, "empty section name");
        sections.push_back(InfRawSection{std::string(name), number, {}});
        return;
    }
    if (sections.empty()) throw inf_error(file, number, "line before the first [section]");
    sections.back().lines.push_back(parse_fields(text, number));
}

}  // namespace

Error inf_error(const std::string& file, unsigned line, const std::string& what) {
    return Error(ErrorKind::failed, file + ":" + std::to_string(line) + ": " + what);
}

std::string decode_inf_bytes(const std::vector<std::uint8_t>& bytes, const std::string& file) {
    if (bytes.size() > max_inf_bytes) {
        throw inf_error(file, 1, "file is " + std::to_string(bytes.size()) + " bytes; INF files over " +
                                     std::to_string(max_inf_bytes) + " bytes are refused");
    }
    const auto starts = [&](std::initializer_list<std::uint8_t> bom) {
        return bytes.size() >= bom.size() && std::equal(bom.begin(), bom.end(), bytes.begin());
    };
    std::string text;
    if (starts({0xFF, 0xFE})) text = decode_utf16(bytes, 2, false, file);
    else if (starts({0xFE, 0xFF})) text = decode_utf16(bytes, 2, true, file);
    else if (starts({0xEF, 0xBB, 0xBF})) text = check_utf8(bytes, 3, file);
    else if (bytes.size() >= 2 && bytes[0] != 0 && bytes[0] < 0x80 && bytes[1] == 0) text = decode_utf16(bytes, 0, false, file);
    else text = decode_ansi(bytes, 0);

    while (!text.empty() && (text.back() == '\0' || text.back() == '\x1A')) text.pop_back();
    const std::size_t nul = text.find('\0');
    if (nul != std::string::npos) throw inf_error(file, line_after(std::string_view(text).substr(0, nul)), "NUL character in the text");
    return text;
}

std::vector<InfRawSection> split_inf_text(const std::string& text, const std::string& file) {
    std::vector<InfRawSection> sections;
    std::string logical;
    unsigned logical_line = 0;
    bool continuing = false;
    unsigned number = 0;
    for (std::size_t pos = 0;;) {
        const std::size_t end = text.find_first_of("\r\n", pos);
        const std::string_view line = std::string_view(text).substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        ++number;
        const LinePiece piece = strip_comment(line, file, number);
        if (!continuing) {
            logical.clear();
            logical_line = number;
        }
        logical += piece.content;
        if (char_count(logical) > max_line_chars) {
            throw inf_error(file, logical_line, "line longer than " + std::to_string(max_line_chars) + " characters");
        }
        continuing = piece.continues;
        if (!continuing) add_logical_line(sections, logical, logical_line, file);
        if (end == std::string::npos) break;
        pos = end + ((text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') ? 2 : 1);
    }
    if (continuing) add_logical_line(sections, logical, logical_line, file);  // '\' on the last line
    return sections;
}

}  // namespace dagda::windows::inf
