#include "disk/SfdiskJson.hpp"

#include "core/Bytes.hpp"
#include "core/Error.hpp"
#include "disk/GptAttributes.hpp"
#include "disk/PartitionTypes.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace dagda::disk {

namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& where, const std::string& what) {
    throw Error(ErrorKind::failed, "invalid layout: " + where + ": " + what);
}

std::uint64_t get_sectors(const json& object, const char* key, const std::string& where) {
    const auto it = object.find(key);
    if (it == object.end()) bad(where, std::string("\"") + key + "\" is missing");
    if (!it->is_number_unsigned()) bad(where, std::string("\"") + key + "\" must be a non-negative integer");
    // No disk has 2^56 sectors; the limit keeps every start + size and every signed delta exact.
    if (it->get<std::uint64_t>() >= (std::uint64_t{1} << 56)) bad(where, std::string("\"") + key + "\" is larger than any disk");
    return it->get<std::uint64_t>();
}

std::optional<std::string> get_string(const json& object, const char* key, const std::string& where) {
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) return std::nullopt;  // sfdisk prints "attrs": null
    if (!it->is_string()) bad(where, std::string("\"") + key + "\" must be a string");
    return it->get<std::string>();
}

// sfdisk names the partition by its node ("disk.img1", "/dev/loop0p1"): the slot is its suffix.
unsigned number_from_node(const std::string& node, const std::string& where) {
    std::size_t digits = node.size();
    while (digits > 0 && std::isdigit(static_cast<unsigned char>(node[digits - 1]))) --digits;
    if (digits == node.size() || node.size() - digits > 3) bad(where, "node \"" + node + "\" does not end in a partition number");
    const unsigned number = static_cast<unsigned>(std::stoul(node.substr(digits)));
    if (number == 0) bad(where, "node \"" + node + "\" names partition 0");
    return number;
}

std::vector<std::uint8_t> parse_boot_code(const std::string& hex) {
    if (hex.size() != 2 * mbr_boot_code_size || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
        bad(boot_code_key, "must be exactly 880 hex digits (440 bytes)");
    std::vector<std::uint8_t> code(mbr_boot_code_size);
    for (std::size_t i = 0; i < code.size(); ++i)
        code[i] = static_cast<std::uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
    return code;
}

PartitionSpec parse_partition(const json& entry, TableKind label, std::size_t index) {
    const std::string where = "partitions[" + std::to_string(index) + "]";
    if (!entry.is_object()) bad(where, "must be an object");
    PartitionSpec part;
    const auto node = get_string(entry, "node", where);
    part.number = node ? number_from_node(*node, where) : static_cast<unsigned>(index + 1);
    part.start = get_sectors(entry, "start", where);
    part.size = get_sectors(entry, "size", where);
    const auto type = get_string(entry, "type", where);
    if (!type) bad(where, "\"type\" is missing");
    try {
        part.type = normalize_type(label, *type);
    } catch (const Error& e) {
        bad(where, e.what());
    }
    if (const auto uuid = get_string(entry, "uuid", where)) {
        const auto guid = normalize_guid(*uuid);
        if (!guid) bad(where, "\"uuid\" is not a GUID: " + *uuid);
        part.uuid = *guid;
    }
    part.name = get_string(entry, "name", where);
    if (const auto attrs = get_string(entry, "attrs", where)) {
        try {
            part.attrs = parse_gpt_attributes(*attrs);
        } catch (const Error& e) {
            bad(where, e.what());
        }
    }
    if (const auto it = entry.find("bootable"); it != entry.end()) {
        if (!it->is_boolean()) bad(where, "\"bootable\" must be true or false");
        part.bootable = it->get<bool>();
    }
    if (label == TableKind::gpt && part.bootable) bad(where, "\"bootable\" is a dos flag; gpt uses attrs");
    if (label == TableKind::dos && (part.uuid || part.name || part.attrs))
        bad(where, "\"uuid\", \"name\" and \"attrs\" exist only in gpt tables");
    return part;
}

std::string normalize_id(TableKind label, const std::string& id) {
    if (label == TableKind::gpt) {
        const auto guid = normalize_guid(id);
        if (!guid) bad("id", "a gpt disk id is a GUID, got \"" + id + "\"");
        return *guid;
    }
    std::string digits = id.rfind("0x", 0) == 0 ? id.substr(2) : id;
    if (digits.empty() || digits.size() > 8 || digits.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
        bad("id", "a dos disk id is a 32-bit hex number such as 0x7ef7f55d, got \"" + id + "\"");
    char text[16];
    std::snprintf(text, sizeof text, "0x%08lx", std::stoul(digits, nullptr, 16));
    return text;
}

}  // namespace

Layout parse_layout_json(const std::string& text) {
    json document;
    try {
        document = json::parse(text);
    } catch (const json::parse_error& e) {
        throw Error(ErrorKind::failed, std::string("invalid layout: not JSON: ") + e.what());
    }
    if (!document.is_object() || !document.contains("partitiontable") || !document["partitiontable"].is_object())
        bad("top level", "expected an object with a \"partitiontable\" object (sfdisk --json format)");
    const json& table = document["partitiontable"];
    Layout layout;
    const auto label = get_string(table, "label", "partitiontable");
    if (!label) bad("partitiontable", "\"label\" is missing");
    if (*label == "dos") layout.label = TableKind::dos;
    else if (*label == "gpt") layout.label = TableKind::gpt;
    else bad("label", "\"" + *label + "\" is not supported (dos or gpt)");
    if (const auto id = get_string(table, "id", "partitiontable")) layout.id = normalize_id(layout.label, *id);
    layout.device = get_string(table, "device", "partitiontable").value_or("");
    if (const auto unit = get_string(table, "unit", "partitiontable"); unit && *unit != "sectors")
        bad("unit", "only \"sectors\" is supported, got \"" + *unit + "\"");
    if (table.contains("sectorsize")) {
        const std::uint64_t size = get_sectors(table, "sectorsize", "partitiontable");
        if (size != 512 && size != 1024 && size != 2048 && size != 4096) bad("sectorsize", "must be 512, 1024, 2048 or 4096");
        layout.sector_size = static_cast<unsigned>(size);
    }
    if (table.contains("firstlba")) layout.first_lba = get_sectors(table, "firstlba", "partitiontable");
    if (table.contains("lastlba")) layout.last_lba = get_sectors(table, "lastlba", "partitiontable");
    if (layout.label == TableKind::dos && (layout.first_lba || layout.last_lba))
        bad("partitiontable", "\"firstlba\" and \"lastlba\" exist only in gpt tables");
    if (const auto code = get_string(table, boot_code_key, "partitiontable")) layout.boot_code = parse_boot_code(*code);
    if (table.contains("partitions")) {
        const json& parts = table["partitions"];
        if (!parts.is_array()) bad("partitions", "must be an array");
        for (std::size_t i = 0; i < parts.size(); ++i) layout.partitions.push_back(parse_partition(parts[i], layout.label, i));
        // The model is ordered by slot, as sfdisk prints it, whatever order the document used.
        std::stable_sort(layout.partitions.begin(), layout.partitions.end(),
                         [](const PartitionSpec& a, const PartitionSpec& b) { return a.number < b.number; });
    }
    return layout;
}

namespace {

std::string quoted(const std::string& text) {
    // nlohmann escapes exactly what util-linux's JSON writer escapes for valid UTF-8: quote,
    // backslash and control characters; other UTF-8 passes through.
    return json(text).dump(-1, ' ', false, json::error_handler_t::replace);
}

void write_partition(std::ostringstream& out, const Layout& layout, const PartitionSpec& part) {
    const std::string in = "            ";
    out << in << "\"node\": " << quoted(partition_node(layout.device, part.number)) << ",\n";
    out << in << "\"start\": " << part.start << ",\n";
    out << in << "\"size\": " << part.size << ",\n";
    out << in << "\"type\": " << quoted(part.type);
    if (part.uuid) out << ",\n" << in << "\"uuid\": " << quoted(*part.uuid);
    if (part.name && !part.name->empty()) out << ",\n" << in << "\"name\": " << quoted(*part.name);
    if (part.attrs) {
        // Bits 3-47 have no text in sfdisk: it prints null for them, and so must we.
        const std::string attrs = format_gpt_attributes(part.attrs);
        out << ",\n" << in << "\"attrs\": " << (attrs.empty() ? "null" : quoted(attrs));
    }
    if (part.bootable) out << ",\n" << in << "\"bootable\": true";
    out << "\n";
}

}  // namespace

std::string to_sfdisk_json(const Layout& layout, bool with_boot_code) {
    std::ostringstream out;
    const std::string in = "      ";
    out << "{\n   \"partitiontable\": {\n";
    out << in << "\"label\": \"" << to_string(layout.label) << "\",\n";
    out << in << "\"id\": " << quoted(layout.id) << ",\n";
    out << in << "\"device\": " << quoted(layout.device) << ",\n";
    out << in << "\"unit\": \"sectors\",\n";
    if (layout.first_lba) out << in << "\"firstlba\": " << *layout.first_lba << ",\n";
    if (layout.last_lba) out << in << "\"lastlba\": " << *layout.last_lba << ",\n";
    out << in << "\"sectorsize\": " << layout.sector_size;
    if (with_boot_code && layout.boot_code) {
        out << ",\n" << in << "\"" << boot_code_key << "\": \"" << to_hex(layout.boot_code->data(), layout.boot_code->size()) << "\"";
    }
    if (!layout.partitions.empty()) {
        out << ",\n" << in << "\"partitions\": [\n         {\n";
        for (std::size_t i = 0; i < layout.partitions.size(); ++i) {
            if (i > 0) out << "         },{\n";
            write_partition(out, layout, layout.partitions[i]);
        }
        out << "         }\n" << in << "]";
    }
    out << "\n   }\n}\n";
    return out.str();
}

}  // namespace dagda::disk
