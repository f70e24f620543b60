#include "ApiTestBench.hpp"

#include "common/Run.hpp"
#include "protocol/Proof.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>

using namespace dagda::testing;

ApiTestBench::ApiTestBench() : store(dir.file("controller.db")), api(store, hooks, {token, dir.file("archives"), files_url, dir.file("controller.db"), ""}) {
    std::filesystem::create_directory(archives());
}

dagda::controller::ApiResponse ApiTestBench::call(const std::string& method, const std::string& target, const std::string& body, std::int64_t now) {
    return api.handle({method, target, std::string("Bearer ") + token, body}, now);
}

std::string ApiTestBench::image(const std::string& name, std::uint64_t bytes) const { return make_image(dir, name, bytes); }

nlohmann::json ApiTestBench::inventory_of(const std::vector<std::string>& disks) const {
    std::string command = dagda_command() + " inventory --json";
    for (const std::string& disk : disks) command += " --disk " + sh_quote(disk);
    const RunResult result = run(command);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    return nlohmann::json::parse(result.out);
}

std::string ApiTestBench::admit(const std::string& name, const nlohmann::json& inventory, std::string token_of_name) {
    if (token_of_name.empty()) token_of_name = store.enrol(name);
    const std::string nonce = dagda::protocol::random_nonce();
    return store.admit({name, dagda::protocol::token_proof(token_of_name, nonce), nonce, "machine-" + name, "boot-1", "dagda 0.3.0", inventory, "127.0.0.1"}, 100)
        .agent_id;
}

/// The ```json api-example-NAME``` blocks of docs/api.md, by name.
std::map<std::string, nlohmann::json> api_examples() {
    std::ifstream in(std::string(DAGDA_SOURCE_DIR) + "/docs/api.md");
    const std::string doc{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    std::map<std::string, nlohmann::json> examples;
    const std::regex block("```json api-example-([a-z-]+)\\n([\\s\\S]*?)```");
    for (auto it = std::sregex_iterator(doc.begin(), doc.end(), block); it != std::sregex_iterator(); ++it)
        examples[(*it)[1].str()] = nlohmann::json::parse((*it)[2].str());
    return examples;
}

std::set<std::string> keys_of(const nlohmann::json& object) {
    std::set<std::string> keys;
    for (const auto& item : object.items()) keys.insert(item.key());
    return keys;
}

