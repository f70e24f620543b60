#pragma once
/// Reads the partition layout of a disk or image with libblkid (plus the GPT header fields and
/// MBR boot code that libblkid does not report).

#include "disk/Layout.hpp"
#include "disk/Target.hpp"

#include <optional>
#include <string>

namespace dagda::disk {

/// The layout on `target`, or nullopt when it holds no partition table. `device` is the name
/// put in the layout (sfdisk prints the path as given). Throws Error{failed} on I/O errors and on
/// table types other than dos and gpt.
std::optional<Layout> read_layout(const TargetInfo& target);

}  // namespace dagda::disk
