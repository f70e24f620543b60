#include "windows/registry/RegistryEdit.hpp"

namespace dagda::windows::registry {

RegistryEdit RegistryEdit::set(std::string key, std::string name, RegistryValue value, std::string why) {
    RegistryEdit edit;
    edit.kind = Kind::set_value;
    edit.key = std::move(key);
    edit.value_name = std::move(name);
    edit.value = std::move(value);
    edit.why = std::move(why);
    return edit;
}

RegistryEdit RegistryEdit::remove_value(std::string key, std::string name, std::string why) {
    RegistryEdit edit;
    edit.kind = Kind::delete_value;
    edit.key = std::move(key);
    edit.value_name = std::move(name);
    edit.why = std::move(why);
    return edit;
}

RegistryEdit RegistryEdit::remove_key(std::string key, std::string why) {
    RegistryEdit edit;
    edit.kind = Kind::delete_key;
    edit.key = std::move(key);
    edit.why = std::move(why);
    return edit;
}

std::string RegistryEdit::describe(const std::string& hive_name) const {
    const std::string where = hive_name + "\\" + key;
    const std::string shown_name = value_name.empty() ? "(default)" : value_name;
    std::string line;
    switch (kind) {
        case Kind::set_value:
            line = "set " + where + " " + shown_name + " = " + value.describe();
            if (before) line += " (was " + before->describe() + ")";
            break;
        case Kind::delete_value:
            line = "delete value " + where + " " + shown_name;
            if (before) line += " (was " + before->describe() + ")";
            break;
        case Kind::delete_key: line = "delete key " + where + " with everything below it"; break;
    }
    return why.empty() ? line : line + "  ; " + why;
}

std::vector<RegistryEdit> effective_edits(const Hive& hive, const std::vector<RegistryEdit>& edits) {
    std::vector<RegistryEdit> out;
    for (RegistryEdit edit : edits) {
        const auto key = hive.find(edit.key);
        if (edit.kind == RegistryEdit::Kind::delete_key) {
            if (key) out.push_back(std::move(edit));
            continue;
        }
        edit.before = key ? hive.value(*key, edit.value_name) : std::nullopt;
        if (edit.kind == RegistryEdit::Kind::delete_value && !edit.before) continue;
        if (edit.kind == RegistryEdit::Kind::set_value && edit.before && *edit.before == edit.value) continue;
        out.push_back(std::move(edit));
    }
    return out;
}

void apply_edits(Hive& hive, const std::vector<RegistryEdit>& edits) {
    for (const RegistryEdit& edit : edits) {
        switch (edit.kind) {
            case RegistryEdit::Kind::set_value:
                hive.set_value(hive.ensure(hive.root(), edit.key), edit.value_name, edit.value);
                break;
            case RegistryEdit::Kind::delete_value:
                if (const auto key = hive.find(edit.key)) hive.delete_value(*key, edit.value_name);
                break;
            case RegistryEdit::Kind::delete_key:
                if (const auto key = hive.find(edit.key)) hive.delete_key(*key);
                break;
        }
    }
}

}  // namespace dagda::windows::registry
