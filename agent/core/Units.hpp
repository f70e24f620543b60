#pragma once
/// Sizes as people read them.

#include <cstdint>
#include <string>

namespace dagda {

/// "60 MiB", "1.5 GiB", "512 B": binary units, at most one decimal, no decimal when exact.
std::string human_bytes(std::uint64_t bytes);

}  // namespace dagda
