#pragma once
/// Reading a step's JSON arguments strictly: every key known, every value of its type, and every
/// problem collected (a plan is refused with all of them listed, not the first).

#include "jobs/Step.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dagda::steps {

class StepArgs {
public:
    /// `known` lists every key the step takes; others are problems.
    StepArgs(const nlohmann::json& args, std::vector<std::string> known);
    /// The same from the step's argument schema.
    StepArgs(const nlohmann::json& args, const std::vector<jobs::ArgumentSpec>& known);

    std::string text(const std::string& key);                  ///< required string
    std::optional<std::string> optional_text(const std::string& key);
    bool flag(const std::string& key, bool fallback);
    std::optional<unsigned> optional_number(const std::string& key);
    std::vector<std::string> texts(const std::string& key);    ///< optional array of strings
    const nlohmann::json& raw(const std::string& key) const;   ///< null when absent

    void problem(const std::string& text) { problems_.push_back(text); }
    const std::vector<std::string>& problems() const { return problems_; }
    /// Throws Error{usage} listing the problems, if any (for run(), after validate()).
    void require_valid() const;

private:
    const nlohmann::json& args_;
    std::vector<std::string> problems_;
};

/// Throws Error{usage} listing `problems`, if any: a step run with arguments validate() refused.
void require_no_problems(const std::vector<std::string>& problems);

}  // namespace dagda::steps
