#include "core/Url.hpp"

#include <cctype>

namespace dagda {

Url parse_url(const std::string& url, ErrorKind kind) {
    auto bad = [&](const std::string& why) { return Error(kind, "the URL \"" + url + "\" " + why); };
    Url out;
    const std::size_t scheme_end = url.find("://");
    if (scheme_end == std::string::npos || scheme_end == 0) throw bad("has no scheme (https://…)");
    out.scheme = url.substr(0, scheme_end);
    std::string authority = url.substr(scheme_end + 3);
    if (const std::size_t slash = authority.find('/'); slash != std::string::npos) {
        out.target = authority.substr(slash);
        authority.resize(slash);
    }
    std::string rest;  // what follows the host: "" or ":PORT"
    if (!authority.empty() && authority.front() == '[') {  // [::1]:8443
        const std::size_t close = authority.find(']');
        if (close == std::string::npos) throw bad("has an unclosed [");
        out.host = authority.substr(1, close - 1);
        rest = authority.substr(close + 1);
        if (!rest.empty() && rest.front() != ':') throw bad("has text after the ]");
    } else {
        const std::size_t colon = authority.rfind(':');
        out.host = authority.substr(0, colon);
        if (colon != std::string::npos) rest = authority.substr(colon);
    }
    if (out.host.empty()) throw bad("names no host");
    if (!rest.empty()) {
        out.port = rest.substr(1);
        if (out.port.empty() || out.port.size() > 5 || out.port.find_first_not_of("0123456789") != std::string::npos ||
            std::stoul(out.port) == 0 || std::stoul(out.port) > 65535)
            throw bad("has a port that is not 1-65535");
    }
    return out;
}

std::string url_path_escaped(const std::string& name) {
    static const char digits[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : name) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~') out += c;
        else out += {'%', digits[byte >> 4], digits[byte & 15]};
    }
    return out;
}

std::optional<std::string> url_unescaped(const std::string& text) {
    const auto hex = [](char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        const int high = i + 2 < text.size() ? hex(text[i + 1]) : -1, low = i + 2 < text.size() ? hex(text[i + 2]) : -1;
        if (high < 0 || low < 0 || (high == 0 && low == 0)) return std::nullopt;
        out += static_cast<char>(high * 16 + low);
        i += 2;
    }
    return out;
}

}  // namespace dagda
