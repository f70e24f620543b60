# Writes OUT, a C++ source holding the console's files (SOURCE_DIR/FILES, FILES joined by ",")
# as byte arrays, so the controller serves its page with no file beside it and no network at
# run time (issue 16). Run at build time by agent/controller/CMakeLists.txt.
string(REPLACE "," ";" files "${FILES}")
set(arrays "")
set(table "")
set(index 0)
foreach(name IN LISTS files)
  file(READ "${SOURCE_DIR}/${name}" hex HEX)
  string(LENGTH "${hex}" digits)
  math(EXPR size "${digits} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
  if(name MATCHES "\\.html$")
    set(type "text/html; charset=utf-8")
  elseif(name MATCHES "\\.css$")
    set(type "text/css; charset=utf-8")
  elseif(name MATCHES "\\.js$")
    set(type "text/javascript; charset=utf-8")
  elseif(name MATCHES "\\.svg$")
    set(type "image/svg+xml")
  else()
    message(FATAL_ERROR "console/${name}: no content type is known for it")
  endif()
  string(APPEND arrays "const unsigned char asset_${index}[] = {\n${bytes}0};\n")
  string(APPEND table "    {\"/console/${name}\", \"${type}\", reinterpret_cast<const char*>(asset_${index}), ${size}},\n")
  math(EXPR index "${index} + 1")
endforeach()
file(WRITE "${OUT}.new" "// Generated from console/ by cmake/EmbedConsole.cmake: do not edit.
#include \"controller/ConsoleAssets.hpp\"

#include <algorithm>
#include <iterator>

namespace dagda::controller {

namespace {

${arrays}
const ConsoleAsset assets[] = {
${table}};

}  // namespace

const ConsoleAsset* find_console_asset(std::string_view path) {
    const auto found = std::find_if(std::begin(assets), std::end(assets), [&](const ConsoleAsset& a) { return path == a.path; });
    return found == std::end(assets) ? nullptr : &*found;
}

}  // namespace dagda::controller
")
file(COPY_FILE "${OUT}.new" "${OUT}" ONLY_IF_DIFFERENT)
