#include "jobs/Plan.hpp"

namespace dagda::jobs {

std::string Plan::label(const PlanStep& step) { return "step " + std::to_string(step.index + 1) + " (" + step.name + ")"; }

Plan parse_plan(const std::string& text, const std::string& name, std::vector<std::string>& problems) {
    Plan plan;
    plan.document = nlohmann::json::parse(text, nullptr, false);
    if (plan.document.is_discarded() || !plan.document.is_object()) {
        problems.push_back(name + " is not a JSON object");
        plan.document = nlohmann::json::object();
        return plan;
    }
    const nlohmann::json& doc = plan.document;
    for (const auto& [key, value] : doc.items())
        if (key != "dagda_plan" && key != "name" && key != "disks" && key != "steps" && key != "comment" && key != "undo_journal" &&
            key != "archive_urls")
            problems.push_back(name + ": unknown key \"" + key + "\"");
    if (!doc.contains("dagda_plan") || !doc["dagda_plan"].is_number_integer() || doc["dagda_plan"].get<int>() != 1)
        problems.push_back(name + ": \"dagda_plan\" must be 1 (the plan format version)");
    if (doc.contains("name")) {
        if (doc["name"].is_string()) plan.name = doc["name"].get<std::string>();
        else problems.push_back(name + ": \"name\" must be a string");
    }
    if (doc.contains("undo_journal")) {
        if (doc["undo_journal"].is_string() && doc["undo_journal"].get<std::string>().rfind('/', 0) == 0) plan.undo_journal = doc["undo_journal"];
        else problems.push_back(name + ": \"undo_journal\" must be an absolute path");
        if (doc.contains("disks") && doc["disks"].is_object() && doc["disks"].size() != 1)
            problems.push_back(name + ": \"undo_journal\" goes with a plan of one disk");
    }
    if (doc.contains("archive_urls")) {
        const nlohmann::json& urls = doc["archive_urls"];
        bool good = urls.is_array() && urls.size() <= 10000;
        for (const nlohmann::json& url : good ? urls : nlohmann::json::array()) {
            const bool web = url.is_string() && (url.get<std::string>().rfind("https://", 0) == 0 || url.get<std::string>().rfind("http://", 0) == 0);
            if (web) plan.archive_urls.push_back(url);
            good = good && web;
        }
        if (!good) problems.push_back(name + ": \"archive_urls\" must be an array of http:// or https:// URLs");
    }
    if (doc.contains("disks")) {
        if (!doc["disks"].is_object()) {
            problems.push_back(name + ": \"disks\" must be an object of disk name → identity");
        } else {
            plan.disks = doc["disks"];
            for (const auto& [disk, identity] : plan.disks.items())
                if (!identity.is_object()) problems.push_back(name + ": disk \"" + disk + "\" must be an object");
        }
    }
    if (!doc.contains("steps") || !doc["steps"].is_array() || doc["steps"].empty()) {
        problems.push_back(name + ": \"steps\" must be a non-empty array");
        return plan;
    }
    for (const nlohmann::json& entry : doc["steps"]) {
        PlanStep step;
        step.index = plan.steps.size();
        if (!entry.is_object() || !entry.contains("step") || !entry["step"].is_string()) {
            problems.push_back(name + ": step " + std::to_string(step.index + 1) + " needs \"step\": \"<module>.<verb>\"");
            step.name = "?";
        } else {
            step.name = entry["step"].get<std::string>();
            step.args = entry;
            step.args.erase("step");
        }
        if (!step.args.is_object()) step.args = nlohmann::json::object();
        plan.steps.push_back(std::move(step));
    }
    return plan;
}

}  // namespace dagda::jobs
