#include "recovery/InventoryTarget.hpp"

#include "core/Error.hpp"
#include "core/Units.hpp"

#include <algorithm>
#include <vector>

namespace dagda::recovery {

namespace {

using nlohmann::json;

/// A string member of an inventory object, or "" when it is null, missing or not a string (an
/// inventory comes from the agent: it is data to read carefully, not to trust).
std::string text_of(const json& object, const char* key) {
    const auto found = object.find(key);
    return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

std::vector<std::string> names_of(const json& object, const char* key) {
    std::vector<std::string> out;
    const auto found = object.find(key);
    if (found == object.end() || !found->is_array()) return out;
    for (const json& name : *found)
        if (name.is_string()) out.push_back(name.get<std::string>());
    return out;
}

std::uint64_t size_of(const json& disk) {
    const auto found = disk.find("size_bytes");
    if (found == disk.end() || !found->is_number_integer() || (!found->is_number_unsigned() && found->get<std::int64_t>() < 0)) return 0;
    return found->get<std::uint64_t>();
}

std::string without_prefix(const std::string& name, const std::string& prefix) {
    return name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
}

bool names_disk(const json& disk, const std::string& choice) {
    if (choice == text_of(disk, "path") || choice == text_of(disk, "serial") || choice == text_of(disk, "wwn")) return true;
    const std::vector<std::string> by_id = names_of(disk, "by_id"), by_path = names_of(disk, "by_path");
    const std::string id = without_prefix(choice, "/dev/disk/by-id/"), path = without_prefix(choice, "/dev/disk/by-path/");
    return std::find(by_id.begin(), by_id.end(), id) != by_id.end() || std::find(by_path.begin(), by_path.end(), path) != by_path.end();
}

/// "/dev/sdb (QEMU HARDDISK, serial X, 40 GiB, 42949672960 bytes)", as disk::describe writes a
/// probed disk.
std::string description_of(const json& disk) {
    std::string text = text_of(disk, "path") + " (";
    if (text_of(disk, "kind") == "image") text += "image file, ";
    if (!text_of(disk, "model").empty()) text += text_of(disk, "model") + ", ";
    if (!text_of(disk, "serial").empty()) text += "serial " + text_of(disk, "serial") + ", ";
    if (!text_of(disk, "wwn").empty()) text += "WWN " + text_of(disk, "wwn") + ", ";
    return text + human_bytes(size_of(disk)) + ", " + std::to_string(size_of(disk)) + " bytes)";
}

/// The agent's text with every control character as '?', so none reaches an operator's terminal.
std::string printable(std::string text) {
    std::replace_if(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }, '?');
    return text;
}

/// What the inventory says the disk holds: its partition table and the filesystem found in each
/// partition; "" for a disk without a table (the inventory does not look further).
std::string contents_of(const json& disk) {
    const auto table = disk.find("partition_table");
    if (!text_of(disk, "partition_table_error").empty())
        return "a partition table dagda cannot read (" + printable(text_of(disk, "partition_table_error")) + ")";
    if (table == disk.end() || !table->is_object()) return "";
    const auto partitions = table->find("partitions");
    const std::size_t count = partitions != table->end() && partitions->is_array() ? partitions->size() : 0;
    std::string text = "a " + (text_of(*table, "type").empty() ? std::string("partition") : printable(text_of(*table, "type")) + " partition") +
                       " table with " + std::to_string(count) + (count == 1 ? " partition" : " partitions");
    if (count == 0) return text;
    std::string each;
    std::size_t listed = 0;
    for (const json& part : *partitions) {
        if (!part.is_object()) continue;
        if (++listed > 16) {  // a plan's name stays one readable line
            each += ", …";
            break;
        }
        const auto number = part.find("number");
        each += each.empty() ? "" : ", ";
        each += number != part.end() && number->is_number_integer() ? std::to_string(number->get<std::int64_t>()) + " " : std::string();
        const auto fs = part.find("filesystem");
        if (fs != part.end() && fs->is_object() && !text_of(*fs, "type").empty()) {
            each += printable(text_of(*fs, "type"));
            if (!text_of(*fs, "label").empty()) each += " \"" + printable(text_of(*fs, "label")) + "\"";
        } else {
            each += "no filesystem known";
        }
    }
    return text + " (" + each + ")";
}

std::string list_of(const std::vector<const json*>& disks) {
    std::string text;
    for (const json* disk : disks) text += (text.empty() ? "" : ", ") + text_of(*disk, "path");
    return text;
}

}  // namespace

json inventory_disk_identity(const json& disk) {
    json id = json::object();
    if (text_of(disk, "kind") == "image") id["path"] = text_of(disk, "path");
    if (!text_of(disk, "serial").empty()) id["serial"] = text_of(disk, "serial");
    if (!text_of(disk, "wwn").empty()) id["wwn"] = text_of(disk, "wwn");
    const std::vector<std::string> by_path = names_of(disk, "by_path");
    if (!by_path.empty()) id["by_path"] = by_path.front();
    if (!text_of(disk, "model").empty()) id["model"] = text_of(disk, "model");
    if (size_of(disk) > 0) id["size"] = size_of(disk);
    if (!id.contains("path") && !id.contains("serial") && !id.contains("wwn") && !id.contains("by_path"))
        throw Error(ErrorKind::usage, "the disk " + text_of(disk, "path") +
                                          " has no serial, WWN or by-path name; a plan cannot name it safely (a /dev name moves between boots)");
    return id;
}

RecoveryTarget inventory_target(const json& inventory, const std::string& choice) {
    const auto disks = inventory.find("disks");
    if (!inventory.is_object() || disks == inventory.end() || !disks->is_array())
        throw Error(ErrorKind::usage, "the agent's inventory lists no disks");
    std::vector<const json*> readable, matching;
    for (const json& disk : *disks) {
        if (!disk.is_object()) continue;
        if (disk.contains("error")) {
            if (!choice.empty() && names_disk(disk, choice))
                throw Error(ErrorKind::usage, "the agent could not read the disk " + choice + ": " + text_of(disk, "error"));
            continue;
        }
        // The stick the agent booted from is a disk too, but never a target (disk apply refuses it
        // again at the commit, by the same labels).
        const auto medium = disk.find("boot_medium");
        const bool boot_medium = medium != disk.end() && medium->is_boolean() && medium->get<bool>();
        if (boot_medium && !choice.empty() && names_disk(disk, choice))
            throw Error(ErrorKind::usage, "the disk " + choice + " is the Dagda boot medium the agent started from, not a target");
        if (boot_medium) continue;
        readable.push_back(&disk);
        if (!choice.empty() && names_disk(disk, choice)) matching.push_back(&disk);
    }
    if (choice.empty()) {
        if (readable.size() != 1)
            throw Error(ErrorKind::usage, readable.empty() ? std::string("the agent reports no disk it can read")
                                                           : "the agent has " + std::to_string(readable.size()) +
                                                                 " disks (" + list_of(readable) + "); say which one to recover onto");
        matching = readable;
    }
    if (matching.empty()) throw Error(ErrorKind::usage, "the agent has no disk " + choice + " (its disks: " + list_of(readable) + ")");
    if (matching.size() > 1) throw Error(ErrorKind::usage, choice + " names " + std::to_string(matching.size()) + " disks of the agent (" + list_of(matching) + ")");
    return {inventory_disk_identity(*matching.front()), description_of(*matching.front()), contents_of(*matching.front())};
}

}  // namespace dagda::recovery
