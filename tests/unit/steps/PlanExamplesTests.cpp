// The examples of docs/plan.md are plans this agent accepts: they parse, name registered steps,
// and every step's arguments pass its own checks (the disks and archives they name are not on
// this machine, so those problems are expected and nothing else).

#include "jobs/JobRunner.hpp"
#include "jobs/Plan.hpp"
#include "steps/Steps.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <regex>

using namespace dagda;

namespace {

std::vector<std::pair<std::string, std::string>> plan_examples() {
    std::ifstream in(std::string(DAGDA_SOURCE_DIR) + "/docs/plan.md");
    const std::string doc{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    std::vector<std::pair<std::string, std::string>> examples;
    const std::regex block("```json (plan-example-[a-z-]+)\\n([\\s\\S]*?)```");
    for (auto it = std::sregex_iterator(doc.begin(), doc.end(), block); it != std::sregex_iterator(); ++it)
        examples.emplace_back((*it)[1].str(), (*it)[2].str());
    return examples;
}

bool about_the_world(const std::string& problem) {
    return problem.find("has no disk") != std::string::npos || problem.find("cannot open") != std::string::npos ||
           problem.find("cannot read") != std::string::npos || problem.find("is not a folder") != std::string::npos ||
           problem.find("cannot connect") != std::string::npos || problem.find("resolve") != std::string::npos ||
           problem.find("10.0.2.2") != std::string::npos;
}

}  // namespace

TEST_CASE("docs/plan.md: every example is a plan the agent accepts", "[steps][plan][docs]") {
    const auto examples = plan_examples();
    REQUIRE(examples.size() == 2);
    for (const auto& [name, text] : examples) {
        INFO(name);
        std::vector<std::string> problems;
        const jobs::Plan plan = jobs::parse_plan(text, name, problems);
        CHECK(problems.empty());
        steps::StepEnvironment environment;
        environment.disks = std::make_unique<steps::PlanDisks>(nlohmann::json::object(), problems);
        const jobs::StepRegistry registry = steps::recovery_steps(environment);
        for (const jobs::PlanStep& step : plan.steps) {
            INFO(jobs::Plan::label(step));
            const jobs::StepSpec* spec = registry.find(step.name);
            REQUIRE(spec);
            std::vector<std::string> found;
            try {
                found = spec->validate(step.args);
            } catch (const std::exception& e) {
                found.push_back(e.what());
            }
            for (const std::string& problem : found) {
                INFO(problem);
                CHECK(about_the_world(problem));
            }
        }
    }
}

TEST_CASE("docs/plan.md: the steps table names every registered step and every argument it takes", "[steps][plan][docs]") {
    std::ifstream in(std::string(DAGDA_SOURCE_DIR) + "/docs/plan.md");
    const std::string doc{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    steps::StepEnvironment environment;
    const jobs::StepRegistry registry = steps::recovery_steps(environment);
    for (const std::string& name : registry.names()) {
        INFO(name);
        const std::size_t row = doc.find("| `" + name + "`");
        const std::size_t shared_row = doc.find("`" + name + "`");
        REQUIRE((row != std::string::npos || shared_row != std::string::npos));
        const std::size_t start = row != std::string::npos ? row : doc.rfind("\n|", shared_row);
        const std::string line = doc.substr(start, doc.find('\n', start + 1) - start);
        for (const jobs::ArgumentSpec& argument : registry.find(name)->arguments) {
            INFO(argument.name);
            CHECK(line.find("`" + argument.name + "`") != std::string::npos);
        }
    }
}
