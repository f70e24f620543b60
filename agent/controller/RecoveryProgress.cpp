#include "controller/RecoveryProgress.hpp"

#include <iostream>

namespace dagda::controller {

using nlohmann::json;

RecoveryProgress::RecoveryProgress(std::string step, std::string source, Emit emit)
    : step_(std::move(step)), source_(std::move(source)), emit_(std::move(emit)) {}

void RecoveryProgress::on_job_event(const json& event) {
    if (!event.is_object() || !event.contains("event") || !event["event"].is_string()) return;
    const std::string kind = event["event"];
    const std::string name = event.contains("name") && event["name"].is_string() ? event["name"].get<std::string>() : "";
    if (kind == "step_failed" && event.contains("text") && event["text"].is_string()) failure_ = event["text"];
    if (kind != "step_progress" || !event.contains("done") || !event["done"].is_number_unsigned() || !event.contains("total") ||
        !event["total"].is_number_unsigned())
        return;
    const auto done = event["done"].get<std::uint64_t>(), total = event["total"].get<std::uint64_t>();
    if (total == 0 || done > total) return;
    const auto now = std::chrono::steady_clock::now();
    if (done < total && now - last_ < std::chrono::seconds(1)) return;
    last_ = now;
    const double rate = event.contains("rate") && event["rate"].is_number() ? event["rate"].get<double>() : 0.0;
    emit_({{"event", "step_progress"}, {"step", step_}, {"name", name}, {"message", source_ + ": " + name},
           {"done", done}, {"total", total}, {"rate", rate > 0 ? rate : 0.0}});
}

void RecoveryProgress::on_line(const std::string& line) noexcept {
    try {
        const json event = json::parse(line, nullptr, false);
        if (!event.is_discarded()) on_job_event(event);
    } catch (const std::exception& e) {
        // A progress event that cannot be kept (the database busy) costs that event, never the restore.
        std::cerr << "dagda controller: " << step_ << ": a progress event was lost: " << e.what() << "\n";
    }
}

}  // namespace dagda::controller
