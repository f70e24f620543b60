#include "windows/inoculate/DriverCatalog.hpp"

#include "core/Error.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <strings.h>

namespace dagda::windows::inoculate {

extern const char* const builtin_catalog_text;  // BuiltinCatalog.cpp, generated from drivers/catalog.json

namespace {

unsigned parse_version(const nlohmann::json& value, const std::string& where) {
    const std::string text = value.get<std::string>();
    unsigned major = 0, minor = 0;
    char dot = 0;
    std::istringstream in(text);
    if (!(in >> major >> dot >> minor) || dot != '.' || !in.eof() || minor > 99)
        throw Error(ErrorKind::failed, where + ": \"" + text + "\" is not a Windows version like \"6.3\"");
    return major * 100 + minor;
}

CatalogTarget parse_target(const nlohmann::json& entry, const nlohmann::json& class_guids, const std::string& where) {
    CatalogTarget target;
    target.name = entry.at("name").get<std::string>();
    const std::string here = where + " target \"" + target.name + "\"";
    target.description = entry.value("description", "");
    target.ids = entry.at("ids").get<std::vector<std::string>>();
    if (target.ids.empty()) throw Error(ErrorKind::failed, here + " has no ids");
    const std::string cls = entry.at("class").get<std::string>();
    if (!class_guids.contains(cls)) throw Error(ErrorKind::failed, here + ": class \"" + cls + "\" is not in class_guids");
    target.class_guid = class_guids.at(cls).get<std::string>();
    for (const auto& range : entry.at("inbox")) {
        InboxRange inbox;
        inbox.since = parse_version(range.at("since"), here);
        if (range.contains("until")) inbox.until = parse_version(range.at("until"), here);
        inbox.services = range.at("services").get<std::vector<std::string>>();
        if (inbox.services.empty()) throw Error(ErrorKind::failed, here + ": an inbox range names no service");
        inbox.bind = range.at("bind").get<std::string>();
        if (std::find(inbox.services.begin(), inbox.services.end(), inbox.bind) == inbox.services.end())
            throw Error(ErrorKind::failed, here + ": \"bind\" " + inbox.bind + " is not one of the range's services");
        target.inbox.push_back(std::move(inbox));
    }
    return target;
}

}  // namespace

bool InboxRange::covers(unsigned major, unsigned minor) const {
    const unsigned version = major * 100 + minor;
    return version >= since && (!until || version <= *until);
}

const InboxRange* CatalogTarget::inbox_for(unsigned major, unsigned minor) const {
    for (const InboxRange& range : inbox)
        if (range.covers(major, minor)) return &range;
    return nullptr;
}

bool CatalogTarget::matches(const std::string& device_id) const {
    return std::any_of(ids.begin(), ids.end(), [&](const std::string& id) { return id_matches(id, device_id); });
}

const CatalogTarget& DriverCatalog::find(const std::string& name) const {
    for (const CatalogTarget& target : targets)
        if (strcasecmp(target.name.c_str(), name.c_str()) == 0) return target;
    std::string known;
    for (const CatalogTarget& target : targets) known += (known.empty() ? "" : ", ") + target.name;
    throw Error(ErrorKind::usage, "unknown driver target \"" + name + "\"; the catalog knows: " + known);
}

bool id_matches(const std::string& catalog_id, const std::string& device_id) {
    if (device_id.size() < catalog_id.size()) return false;
    if (strncasecmp(catalog_id.c_str(), device_id.c_str(), catalog_id.size()) != 0) return false;
    return device_id.size() == catalog_id.size() || device_id[catalog_id.size()] == '&';
}

DriverCatalog parse_catalog(const std::string& text, const std::string& name) {
    try {
        const nlohmann::json doc = nlohmann::json::parse(text);
        if (doc.at("schema").get<int>() != 1) throw Error(ErrorKind::failed, name + ": catalog schema " + doc.at("schema").dump() + " is not 1");
        DriverCatalog catalog;
        for (const auto& entry : doc.at("targets")) catalog.targets.push_back(parse_target(entry, doc.at("class_guids"), name));
        for (const auto& entry : doc.at("disable_services"))
            catalog.disable_services.push_back({entry.at("name").get<std::string>(), entry.value("why", "")});
        for (std::size_t i = 0; i < catalog.targets.size(); ++i)
            for (std::size_t j = 0; j < i; ++j)
                if (strcasecmp(catalog.targets[i].name.c_str(), catalog.targets[j].name.c_str()) == 0)
                    throw Error(ErrorKind::failed, name + ": target \"" + catalog.targets[i].name + "\" appears twice");
        return catalog;
    } catch (const nlohmann::json::exception& e) {
        throw Error(ErrorKind::failed, name + " is not a valid driver catalog: " + e.what());
    }
}

DriverCatalog builtin_catalog() { return parse_catalog(builtin_catalog_text, "the built-in drivers/catalog.json"); }

DriverCatalog load_catalog(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw Error(ErrorKind::failed, "cannot read the driver catalog " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return parse_catalog(text.str(), path);
}

}  // namespace dagda::windows::inoculate
