#include "windows/inf/InfServices.hpp"

#include <optional>

namespace dagda::windows::inf {

namespace {

const InfLine& required_entry(const InfFile& inf, const InfSection& section, const char* key) {
    const InfLine* line = section.find(key);
    if (!line) throw inf.error(section.line, "service-install section [" + section.name + "] has no " + key);
    return *line;
}

std::uint32_t number_entry(const InfFile& inf, const InfSection& section, const char* key, std::uint32_t max) {
    const InfLine& line = required_entry(inf, section, key);
    const std::string& text = inf.required(line, 0, key);
    const std::optional<std::uint32_t> value = parse_inf_number(text);
    if (!value) throw inf.error(line.line, std::string(key) + " \"" + text + "\" is not a number");
    if (*value > max) throw inf.error(line.line, std::string(key) + " " + text + " is out of range (0.." + std::to_string(max) + ")");
    return *value;
}

// ServiceBinary is `%dirid%\path\file.sys`; the dirid becomes the folder under %SystemRoot%.
void resolve_binary(const InfFile& inf, const InfLine& line, const std::string& store_folder, ServiceInstall& service) {
    const std::string& text = service.binary;
    const std::size_t close = text.size() > 1 && text[0] == '%' ? text.find('%', 1) : std::string::npos;
    const std::optional<std::uint32_t> dirid =
        close == std::string::npos ? std::nullopt : parse_inf_number(text.substr(1, close - 1));
    if (!dirid) throw inf.error(line.line, "ServiceBinary \"" + text + "\" does not start with a %dirid% such as %12%");
    if (!dirid_folder(*dirid, store_folder)) throw inf.error(line.line, "ServiceBinary uses unknown dirid " + std::to_string(*dirid));
    const std::optional<std::string> rest = safe_relative_path(text.substr(close + 1), '\\');
    if (!rest || rest->empty()) throw inf.error(line.line, "ServiceBinary \"" + text + "\" does not name a file below its dirid");
    const std::size_t slash = rest->find_last_of('\\');
    const std::string subdir = slash == std::string::npos ? std::string() : rest->substr(0, slash);
    const std::string file = slash == std::string::npos ? *rest : rest->substr(slash + 1);
    service.binary_dir = InfDirectory{*dirid, subdir};
    service.image_path = system_root_path(service.binary_dir, file, store_folder);
}

void read_install_section(const InfFile& inf, const InfSection& section, const std::string& store_folder, ServiceInstall& service) {
    service.service_type = number_entry(inf, section, "ServiceType", 0xFFFFFFFF);
    service.start_type = number_entry(inf, section, "StartType", service_start::disabled);
    service.error_control = number_entry(inf, section, "ErrorControl", 3);
    const InfLine& binary = required_entry(inf, section, "ServiceBinary");
    service.binary = inf.required(binary, 0, "ServiceBinary");
    resolve_binary(inf, binary, store_folder, service);
    if (const InfLine* group = section.find("LoadOrderGroup")) service.load_order_group = InfFile::optional(*group, 0);
    if (const InfLine* name = section.find("DisplayName")) service.display_name = InfFile::optional(*name, 0);
    if (const InfLine* text = section.find("Description")) service.description = InfFile::optional(*text, 0);
    for (const InfLine* line : section.find_all("Dependencies")) {
        for (const std::string& dependency : line->fields) {
            if (!dependency.empty()) service.dependencies.push_back(dependency);
        }
    }
    service.add_reg = add_reg_entries(inf, section);
}

ServiceInstall read_add_service(const InfFile& inf, const InfLine& line, const std::string& store_folder) {
    ServiceInstall service;
    service.line = line.line;
    service.name = inf.required(line, 0, "AddService service name");
    const std::string& flags = InfFile::optional(line, 1);
    if (!flags.empty()) {
        const std::optional<std::uint32_t> value = parse_inf_number(flags);
        if (!value) throw inf.error(line.line, "AddService flags \"" + flags + "\" are not a number");
        service.add_flags = *value;
    }
    service.function_driver = (service.add_flags & spsvcinst_assocservice) != 0;
    service.install_section = inf.required(line, 2, "AddService service-install section");
    const InfSection& install = inf.section(service.install_section, line.line, "AddService");
    service.install_section = install.name;
    read_install_section(inf, install, store_folder, service);
    if (!InfFile::optional(line, 3).empty()) {
        const InfSection& event_log = inf.section(inf.required(line, 3, "AddService event-log section"), line.line, "AddService");
        service.event_log_section = event_log.name;
        service.event_log_add_reg = add_reg_entries(inf, event_log);
    }
    return service;
}

}  // namespace

std::vector<ServiceInstall> read_services(const InfFile& inf, const InfSection& services, const std::string& store_folder) {
    std::vector<ServiceInstall> out;
    for (const InfLine* line : services.find_all("AddService")) {
        if (InfFile::optional(*line, 0).empty()) continue;  // `AddService = ,0x2`: a null driver
        out.push_back(read_add_service(inf, *line, store_folder));
    }
    return out;
}

}  // namespace dagda::windows::inf
