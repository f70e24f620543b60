#include "windows/inf/TargetPlatform.hpp"

#include <array>
#include <tuple>

namespace dagda::windows::inf {

namespace {

constexpr std::array<const char*, 5> known_arches = {"x86", "amd64", "arm64", "arm", "ia64"};

bool is_known_arch(const std::string& arch) {
    for (const char* known : known_arches) {
        if (arch == known) return true;
    }
    return false;
}

// Replaces every `from` in `text`; returns whether anything changed.
bool replace_all(std::string& text, const std::string& from, const std::string& to) {
    bool changed = false;
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
        changed = true;
    }
    return changed;
}

std::vector<std::string> split_dots(const std::string& text) {
    std::vector<std::string> parts;
    std::size_t begin = 0;
    for (std::size_t dot = text.find('.'); dot != std::string::npos; dot = text.find('.', begin)) {
        parts.push_back(text.substr(begin, dot - begin));
        begin = dot + 1;
    }
    parts.push_back(text.substr(begin));
    return parts;
}

// Ordering key of a fitting decoration: version first, then explicit arch and product type.
using Rank = std::tuple<int, std::uint32_t, std::uint32_t, std::uint32_t, bool, bool>;

Rank rank_of(const OsDecoration& d) {
    return {1, d.major.value_or(0), d.minor.value_or(0), d.build.value_or(0), !d.arch.empty(), d.product_type.has_value()};
}

}  // namespace

std::string describe(const TargetWindows& target) {
    return std::to_string(target.major) + "." + std::to_string(target.minor) + "." + std::to_string(target.build) + " " +
           target.arch + (target.server ? " server" : "");
}

std::string checked_arch(const TargetWindows& target) {
    const std::string arch = ascii_lower(target.arch);
    if (!is_known_arch(arch)) {
        throw Error(ErrorKind::failed, "unknown Windows architecture \"" + target.arch + "\" (expected x86, amd64, arm64, arm or ia64)");
    }
    return arch;
}

unsigned platform_drivers_dirid(const TargetWindows& target) {
    const bool windows_11 = target.major > 10 || (target.major == 10 && target.build >= 22000);
    return windows_11 ? 13 : 12;
}

InfFile stamp_template(const InfFile& inf, const TargetWindows& target) {
    std::string text = inf.text();
    bool changed = replace_all(text, "$ARCH$", checked_arch(target));
    changed |= replace_all(text, "INX_PLATFORM_DRIVERS_DIR", std::to_string(platform_drivers_dirid(target)));
    changed |= replace_all(text, "_INX_SUBSYS_VENDOR_ID", "1AF4");
    return changed ? parse_inf_text(text, inf.file()) : inf;
}

OsDecoration parse_os_decoration(const std::string& text) {
    OsDecoration out;
    out.text = text;
    const std::vector<std::string> parts = split_dots(ascii_lower(text));
    if (parts[0].substr(0, 2) != "nt" || parts.size() > 6) {
        out.valid = false;
        return out;
    }
    out.arch = parts[0].substr(2);
    if (!out.arch.empty() && !is_known_arch(out.arch)) out.valid = false;
    std::array<std::optional<std::uint32_t>*, 5> slots = {&out.major, &out.minor, &out.product_type, &out.suite_mask, &out.build};
    for (std::size_t i = 1; i < parts.size(); ++i) {
        if (parts[i].empty()) continue;
        *slots[i - 1] = parse_inf_number(parts[i]);
        if (!*slots[i - 1]) out.valid = false;
    }
    return out;
}

bool fits(const OsDecoration& d, const TargetWindows& target) {
    if (!d.valid) return false;
    const std::string arch = checked_arch(target);
    if (d.arch.empty() ? arch != "x86" : d.arch != arch) return false;
    const auto wanted = std::make_tuple(d.major.value_or(0), d.minor.value_or(0), d.build.value_or(0));
    if (wanted > std::make_tuple(target.major, target.minor, target.build)) return false;
    if (d.product_type) {
        // VER_NT_WORKSTATION 1; VER_NT_DOMAIN_CONTROLLER 2 and VER_NT_SERVER 3 are both servers.
        const bool same_kind = target.server ? (*d.product_type == 2 || *d.product_type == 3) : *d.product_type == 1;
        if (!same_kind) return false;
    }
    return !d.suite_mask || *d.suite_mask == 0;
}

std::optional<std::string> best_decoration(const std::vector<std::string>& decorations, const TargetWindows& target) {
    std::optional<std::string> best;
    Rank best_rank{};
    for (const std::string& text : decorations) {
        Rank rank{};
        if (text.empty()) {
            if (checked_arch(target) != "x86") continue;
            rank = Rank{0, 0, 0, 0, false, false};
        } else {
            const OsDecoration decoration = parse_os_decoration(text);
            if (!fits(decoration, target)) continue;
            rank = rank_of(decoration);
        }
        if (!best || rank > best_rank) {
            best = text;
            best_rank = rank;
        }
    }
    return best;
}

std::string install_variant(const InfFile& inf, const std::string& install, const TargetWindows& target, unsigned line) {
    for (const std::string& name : {install + ".NT" + checked_arch(target), install + ".NT", install}) {
        if (const InfSection* section = inf.find(name)) return section->name;
    }
    throw inf.error(line, "install section [" + install + "] is missing (nor is there [" + install + ".NT" +
                              checked_arch(target) + "] or [" + install + ".NT])");
}

}  // namespace dagda::windows::inf
