#include "core/Units.hpp"

#include <array>
#include <cstdio>

namespace dagda {

std::string human_bytes(std::uint64_t bytes) {
    static constexpr std::array<const char*, 6> units{"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    std::size_t unit = 0;
    std::uint64_t scale = 1;
    while (unit + 1 < units.size() && bytes >= scale * 1024) {
        scale *= 1024;
        ++unit;
    }
    char text[32];
    if (bytes % scale == 0) {
        std::snprintf(text, sizeof text, "%llu %s", static_cast<unsigned long long>(bytes / scale), units[unit]);
    } else {
        std::snprintf(text, sizeof text, "%.1f %s", static_cast<double>(bytes) / static_cast<double>(scale),
                      units[unit]);
    }
    return text;
}

}  // namespace dagda
