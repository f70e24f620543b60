#include "core/Sysfs.hpp"

#include <fstream>
#include <sstream>
#include <system_error>

namespace dagda::sysfs {

std::string trim(const std::string& text) {
    const char* space = " \t\r\n";
    const auto first = text.find_first_not_of(space);
    if (first == std::string::npos) return {};
    const auto last = text.find_last_not_of(space);
    return text.substr(first, last - first + 1);
}

std::optional<std::string> read_attr(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    std::ostringstream content;
    content << in.rdbuf();
    if (in.bad()) return std::nullopt;  // e.g. EINVAL from `speed` of a link that is down
    return trim(content.str());
}

std::optional<std::uint64_t> read_uint(const std::filesystem::path& path) {
    const auto text = read_attr(path);
    if (!text || text->empty()) return std::nullopt;
    try {
        std::size_t used = 0;
        const unsigned long long value = std::stoull(*text, &used, 0);
        if (used != text->size()) return std::nullopt;
        return static_cast<std::uint64_t>(value);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::optional<std::string> link_target_name(const std::filesystem::path& path) {
    std::error_code ec;
    const auto target = std::filesystem::read_symlink(path, ec);
    if (ec) return std::nullopt;
    return target.filename().string();
}

}  // namespace dagda::sysfs
