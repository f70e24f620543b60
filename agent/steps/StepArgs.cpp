#include "steps/StepArgs.hpp"

#include "core/Error.hpp"

#include <algorithm>

namespace dagda::steps {

StepArgs::StepArgs(const nlohmann::json& args, std::vector<std::string> known) : args_(args) {
    if (!args_.is_object()) {
        problems_.push_back("the step's arguments must be an object");
        return;
    }
    for (const auto& [key, value] : args_.items())
        if (std::find(known.begin(), known.end(), key) == known.end()) problems_.push_back("unknown argument \"" + key + "\"");
}

namespace {
std::vector<std::string> names_of(const std::vector<jobs::ArgumentSpec>& known) {
    std::vector<std::string> names;
    for (const auto& argument : known) names.push_back(argument.name);
    return names;
}
}  // namespace

StepArgs::StepArgs(const nlohmann::json& args, const std::vector<jobs::ArgumentSpec>& known) : StepArgs(args, names_of(known)) {}

const nlohmann::json& StepArgs::raw(const std::string& key) const {
    static const nlohmann::json null;
    return args_.is_object() && args_.contains(key) ? args_.at(key) : null;
}

std::string StepArgs::text(const std::string& key) {
    const auto value = optional_text(key);
    if (!value) {
        if (raw(key).is_null()) problems_.push_back("\"" + key + "\" is missing");
        return {};
    }
    return *value;
}

std::optional<std::string> StepArgs::optional_text(const std::string& key) {
    const nlohmann::json& value = raw(key);
    if (value.is_null()) return std::nullopt;
    if (!value.is_string() || value.get<std::string>().empty()) {
        problems_.push_back("\"" + key + "\" must be a non-empty string");
        return std::nullopt;
    }
    return value.get<std::string>();
}

bool StepArgs::flag(const std::string& key, bool fallback) {
    const nlohmann::json& value = raw(key);
    if (value.is_null()) return fallback;
    if (!value.is_boolean()) {
        problems_.push_back("\"" + key + "\" must be true or false");
        return fallback;
    }
    return value.get<bool>();
}

std::optional<unsigned> StepArgs::optional_number(const std::string& key) {
    const nlohmann::json& value = raw(key);
    if (value.is_null()) return std::nullopt;
    if (!value.is_number_unsigned() || value.get<std::uint64_t>() > 0xFFFFFFFFu) {
        problems_.push_back("\"" + key + "\" must be a whole number");
        return std::nullopt;
    }
    return value.get<unsigned>();
}

std::vector<std::string> StepArgs::texts(const std::string& key) {
    const nlohmann::json& value = raw(key);
    std::vector<std::string> out;
    if (value.is_null()) return out;
    if (!value.is_array()) {
        problems_.push_back("\"" + key + "\" must be an array of strings");
        return out;
    }
    for (const auto& item : value) {
        if (!item.is_string() || item.get<std::string>().empty()) {
            problems_.push_back("\"" + key + "\" must hold non-empty strings only");
            return {};
        }
        out.push_back(item.get<std::string>());
    }
    return out;
}

void StepArgs::require_valid() const { require_no_problems(problems_); }

void require_no_problems(const std::vector<std::string>& problems) {
    if (problems.empty()) return;
    std::string all;
    for (const std::string& p : problems) all += (all.empty() ? "" : "; ") + p;
    throw Error(ErrorKind::usage, all);
}

}  // namespace dagda::steps
