#pragma once
/// The web console's files (console/ in the source tree), built into the binary by
/// cmake/EmbedConsole.cmake: the controller serves its page with nothing beside it.

#include <cstddef>
#include <string_view>

namespace dagda::controller {

struct ConsoleAsset {
    const char* path;          ///< "/console/console.js"
    const char* content_type;  ///< "text/javascript; charset=utf-8"
    const char* bytes;
    std::size_t size;
};

/// The asset served at `path`, or nullptr.
const ConsoleAsset* find_console_asset(std::string_view path);

}  // namespace dagda::controller
