#include "windows/inoculate/ClassFilters.hpp"

#include <algorithm>

namespace dagda::windows::inoculate {

namespace {

using registry::RegistryEdit;
using registry::RegistryValue;

/// Disk drives, SCSI and RAID adapters, IDE/ATA controllers.
constexpr const char* storage_classes[] = {
    "{4d36e967-e325-11ce-bfc1-08002be10318}",
    "{4d36e97b-e325-11ce-bfc1-08002be10318}",
    "{4d36e96a-e325-11ce-bfc1-08002be10318}",
    "{71a27cdd-812a-11d0-bec7-08002be2092f}",  // volumes: encryption and snapshot filters sit here
};

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

bool loads(const registry::Hive& system, const std::string& control_set, const std::string& service,
           const std::set<std::string>& disabling) {
    if (disabling.count(lower(service))) return false;
    const auto key = system.find(control_set + "\\Services\\" + service);
    if (!key) return false;
    const auto start = system.value(*key, "Start");
    return !(start && start->number() == 4u);
}

}  // namespace

std::vector<RegistryEdit> class_filter_edits(const registry::Hive& system, const std::string& control_set,
                                             const std::set<std::string>& disabling) {
    std::vector<RegistryEdit> edits;
    for (const char* guid : storage_classes) {
        const std::string class_key = control_set + "\\Control\\Class\\" + guid;
        const auto key = system.find(class_key);
        if (!key) continue;
        for (const char* list : {"UpperFilters", "LowerFilters"}) {
            const auto value = system.value(*key, list);
            const auto names = value ? value->texts() : std::nullopt;
            if (!names) continue;
            std::vector<std::string> kept;
            std::string dropped;
            for (const std::string& name : *names) {
                if (loads(system, control_set, name, disabling)) kept.push_back(name);
                else dropped += (dropped.empty() ? "" : ", ") + name;
            }
            if (dropped.empty()) continue;
            const std::string why = "the filter " + dropped + " would not load, and every device of the class would fail to start";
            edits.push_back(kept.empty() ? RegistryEdit::remove_value(class_key, list, why)
                                         : RegistryEdit::set(class_key, list, RegistryValue::multi_sz(kept), why));
        }
    }
    return edits;
}

}  // namespace dagda::windows::inoculate
