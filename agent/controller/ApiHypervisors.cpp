// /api/hypervisors: the hypervisors the controller makes VMs on (docs/api.md, "Hypervisors").
// Adding one checks what can be checked without reaching it: a URI libvirt's QEMU or ESX driver
// takes, with no password in it (URIs are logged and listed), and a credentials file only the
// controller can read. Whether the hypervisor answers is checked when a recovery first uses it.

#include "controller/Api.hpp"
#include "controller/ApiError.hpp"
#include "core/Error.hpp"
#include "hypervisor/DomainXml.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>

namespace dagda::controller {

using nlohmann::json;

namespace {

bool plain_name(const std::string& name, std::size_t longest) {
    return !name.empty() && name.size() <= longest &&
           std::all_of(name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'; });
}

/// The user part of "scheme://user:password@host/…" holds a password: refused.
bool uri_holds_password(const std::string& uri) {
    const std::size_t authority = uri.find("://");
    if (authority == std::string::npos) return false;
    const std::size_t end = uri.find_first_of("/?#", authority + 3);
    const std::string host_part = uri.substr(authority + 3, end == std::string::npos ? std::string::npos : end - authority - 3);
    const std::size_t at = host_part.rfind('@');
    return at != std::string::npos && host_part.substr(0, at).find(':') != std::string::npos;
}

std::string text_field(const json& body, const char* key, bool required) {
    if (!body.contains(key)) {
        if (required) bad_request(std::string("a hypervisor needs \"") + key + "\" (a string)");
        return {};
    }
    if (!body[key].is_string()) bad_request(std::string("\"") + key + "\" is a string");
    return body[key].get<std::string>();
}

json hypervisor_json(const HypervisorRecord& h) {
    return {{"name", h.name},
            {"uri", h.uri},
            {"flavour", hypervisor::flavour_of(h.uri) == hypervisor::Flavour::esx ? "esx" : "qemu"},
            {"pool", h.pool},
            {"network", h.network},
            {"credentials_file", h.credentials_file.empty() ? json(nullptr) : json(h.credentials_file)}};
}

}  // namespace

ApiResponse Api::add_hypervisor(const json& body) {
    refuse_unknown_keys(body, {"name", "uri", "pool", "network", "credentials_file"}, "a hypervisor");
    HypervisorRecord h{text_field(body, "name", true), text_field(body, "uri", true), text_field(body, "pool", true),
                       text_field(body, "network", false), text_field(body, "credentials_file", false)};
    if (!plain_name(h.name, 64)) bad_request("a hypervisor's name is 1 to 64 letters, digits, '.', '_' or '-'");
    if (h.uri.empty() || h.uri.size() > 1024 || std::any_of(h.uri.begin(), h.uri.end(), [](char c) { return std::iscntrl(static_cast<unsigned char>(c)); }))
        bad_request("the hypervisor's URI is 1 to 1024 printable characters");
    if (uri_holds_password(h.uri))
        bad_request("the hypervisor's URI holds a password; give the user name and password in a credentials file (\"credentials_file\")");
    try {
        hypervisor::flavour_of(h.uri);
    } catch (const Error& e) {
        bad_request(e.what());
    }
    if (h.pool.empty() || h.pool.size() > 256) bad_request("the storage pool's name is 1 to 256 characters");
    if (h.network.size() > 256) bad_request("the network's name is up to 256 characters");
    if (!h.credentials_file.empty()) {
        struct stat file {};
        if (h.credentials_file.front() != '/') bad_request("the credentials file is an absolute path on the controller");
        if (::stat(h.credentials_file.c_str(), &file) != 0 || !S_ISREG(file.st_mode))
            bad_request("the credentials file " + h.credentials_file + " is not a file the controller can see");
        if ((file.st_mode & 077) != 0) bad_request("the credentials file " + h.credentials_file + " can be read by others than its owner (chmod 600)");
    }
    try {
        store_.add_hypervisor(h);
    } catch (const Error& e) {
        conflict(e.what());
    }
    return {201, hypervisor_json(h), ""};
}

ApiResponse Api::list_hypervisors() {
    json list = json::array();
    for (const HypervisorRecord& h : store_.hypervisors()) list.push_back(hypervisor_json(h));
    return {200, {{"hypervisors", std::move(list)}}, ""};
}

ApiResponse Api::show_hypervisor(const std::string& name) {
    const auto found = store_.hypervisor(name);
    if (!found) not_found("no hypervisor named \"" + name.substr(0, 64) + "\"");
    return {200, hypervisor_json(*found), ""};
}

ApiResponse Api::remove_hypervisor(const std::string& name) {
    if (!store_.remove_hypervisor(name)) not_found("no hypervisor named \"" + name.substr(0, 64) + "\"");
    return {200, {{"name", name}, {"removed", true}}, ""};
}

}  // namespace dagda::controller
