#pragma once
/// What the controller quotes of a program it ran (`dagda plan`, `dagda run`, `dagda tib …`) when
/// the program failed: the end of its output, where its error is.

#include <string>
#include <vector>

namespace dagda::controller {

/// The last `count` non-empty lines of `text`, joined by "; "; "it said nothing" when there are none.
inline std::string last_lines(const std::string& text, std::size_t count) {
    std::vector<std::string> lines;
    for (std::size_t start = 0, end; start < text.size(); start = end + 1) {
        end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        if (end > start) lines.push_back(text.substr(start, end - start));
    }
    std::string out;
    for (std::size_t i = lines.size() > count ? lines.size() - count : 0; i < lines.size(); ++i) out += (out.empty() ? "" : "; ") + lines[i];
    return out.empty() ? "it said nothing" : out;
}

}  // namespace dagda::controller
