#include "disk/Layout.hpp"

#include <cctype>

namespace dagda::disk {

const char* to_string(TableKind kind) noexcept {
    return kind == TableKind::gpt ? "gpt" : "dos";
}

std::string partition_node(const std::string& device, unsigned number) {
    // Same rule as the kernel and util-linux: a "p" separates when the disk name ends in a digit.
    const bool ends_in_digit = !device.empty() && std::isdigit(static_cast<unsigned char>(device.back()));
    return device + (ends_in_digit ? "p" : "") + std::to_string(number);
}

Layout retarget(Layout layout, const std::string& device) {
    layout.device = device;
    return layout;
}

}  // namespace dagda::disk
