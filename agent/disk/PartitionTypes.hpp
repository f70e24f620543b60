#pragma once
/// Partition type codes: validation, sfdisk's canonical spelling, and what each one is.

#include "disk/Layout.hpp"

#include <optional>
#include <string>

namespace dagda::disk {

/// Role of a partition type, used to pick the partition that `--fit` grows.
enum class TypeRole { data, system, container, other };

struct TypeInfo {
    const char* description;  ///< "Microsoft basic data", "NTFS/exFAT/HPFS"
    TypeRole role;
};

/// sfdisk's spelling of a type: dos "0x07"/"07"/"7" → "7"; gpt GUID → upper case.
/// Throws Error{failed} for a type that is not valid for `label`: a dos type that is not one
/// byte or is 0 (an empty slot); a gpt type that is not a GUID, or is the all-zero GUID of an
/// unused entry.
std::string normalize_type(TableKind label, const std::string& type);

/// What the catalog knows of a (normalised) type, or nullopt for a valid but uncatalogued code.
std::optional<TypeInfo> describe_type(TableKind label, const std::string& type);

/// True for a dos extended container (0x05, 0x0F, 0x85), which holds logical partitions.
bool is_extended(TableKind label, const std::string& type);

/// Human text for plan lines: "0x07 NTFS/exFAT/HPFS", "Microsoft basic data".
std::string type_text(TableKind label, const std::string& type);

/// Upper-cases a GUID string after checking its 8-4-4-4-12 hex shape; nullopt when malformed.
std::optional<std::string> normalize_guid(const std::string& text);

}  // namespace dagda::disk
