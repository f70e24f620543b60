#pragma once
/// Reading and writing layouts in sfdisk's JSON dump format (`sfdisk --json`, util-linux 2.38).
///
/// The writer reproduces sfdisk's text exactly (3-space indent, key order, `},{` between
/// partitions), so `dagda disk show` and `sfdisk --json` print byte-identical documents. The
/// reader accepts any JSON spelling of the same document and names the first problem it meets.

#include "disk/Layout.hpp"

#include <string>

namespace dagda::disk {

/// Key of the dagda extension that carries the MBR boot code (880 hex digits).
inline constexpr const char* boot_code_key = "x-dagda-bootcode";

/// Parses a layout document; throws Error{failed} naming the field that is missing or malformed.
/// Types are normalised to sfdisk's spelling; sizes are not checked against any disk here.
Layout parse_layout_json(const std::string& text);

/// sfdisk's JSON text for `layout`, ending in a newline. The boot code extension is written only
/// when `with_boot_code` is set and the layout carries boot code.
std::string to_sfdisk_json(const Layout& layout, bool with_boot_code = false);

}  // namespace dagda::disk
