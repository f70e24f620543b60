#pragma once
/// The REST API's test bench: a real Store in a temporary folder, an archive folder beside it,
/// hooks that record what the server would be told, and agents admitted with the real
/// `dagda inventory --json` of image files.

#include "controller/Api.hpp"

#include "common/TempDir.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

class RecordingHooks final : public dagda::controller::ApiHooks {
public:
    std::set<std::string> connected;
    std::vector<std::pair<std::string, std::string>> submitted, cancel_requests;  ///< (agent, job)

    bool agent_connected(const std::string& agent_id) override { return connected.count(agent_id) > 0; }
    void job_submitted(const std::string& agent_id, const std::string& job_id) override { submitted.emplace_back(agent_id, job_id); }
    void job_cancel_requested(const std::string& agent_id, const std::string& job_id) override { cancel_requests.emplace_back(agent_id, job_id); }
    std::vector<std::string> recovery_cancels;
    void recovery_cancel_requested(const std::string& id) override { recovery_cancels.push_back(id); }
};

/// The ```json api-example-NAME``` blocks of docs/api.md, by name: the examples are test inputs.
std::map<std::string, nlohmann::json> api_examples();
/// The keys of a JSON object, to compare an answer's shape with an example's.
std::set<std::string> keys_of(const nlohmann::json& object);

struct ApiTestBench {
    static constexpr const char* token = "5e8a1f3c7b9d2e4f6a8c0b1d3e5f7a9c2b4d6e8f0a1c3e5b7d9f1a2c4e6b8d0f";
    static constexpr const char* files_url = "https://10.0.2.2:8443/files";

    dagda::testing::TempDir dir;
    dagda::controller::Store store;
    RecordingHooks hooks;
    dagda::controller::Api api;

    ApiTestBench();

    /// A request with the operator's token, at time `now`.
    dagda::controller::ApiResponse call(const std::string& method, const std::string& target, const std::string& body = "", std::int64_t now = 100);
    /// The archive folder the API plans recoveries from.
    std::string archives() const { return dir.file("archives"); }
    /// A sparse image file of `bytes` in the bench's folder.
    std::string image(const std::string& name, std::uint64_t bytes) const;
    /// What `dagda inventory --json --disk D...` prints for these disks.
    nlohmann::json inventory_of(const std::vector<std::string>& disks) const;
    /// Enrols `name` (unless its token is given) and admits its agent with `inventory`, as a hello
    /// with the right proof does; returns the agent's id.
    std::string admit(const std::string& name, const nlohmann::json& inventory, std::string token_of_name = "");
};
