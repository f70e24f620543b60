#pragma once
/// A refused API request (docs/api.md): the HTTP status, the error code and a message naming the
/// problem. Thrown inside Api and turned into the response by Api::handle; never leaves Api.

#include <nlohmann/json.hpp>

#include <initializer_list>
#include <map>
#include <vector>
#include <stdexcept>
#include <string>

namespace dagda::controller {

class ApiError : public std::runtime_error {
public:
    ApiError(int status, std::string code, const std::string& message) : std::runtime_error(message), status_(status), code_(std::move(code)) {}
    int status() const noexcept { return status_; }
    const std::string& code() const noexcept { return code_; }

private:
    int status_;
    std::string code_;
};

[[noreturn]] inline void bad_request(const std::string& message) { throw ApiError(400, "bad_request", message); }
[[noreturn]] inline void not_found(const std::string& message) { throw ApiError(404, "not_found", message); }
[[noreturn]] inline void conflict(const std::string& message) { throw ApiError(409, "conflict", message); }

/// Refuses (400) an object with a key outside `known`: a misspelt option must not be ignored
/// silently when the request erases a disk. `what` names the object in the message.
inline void refuse_unknown_keys(const nlohmann::json& object, std::initializer_list<const char*> known, const std::string& what) {
    for (const auto& item : object.items()) {
        bool found = false;
        for (const char* key : known) found = found || item.key() == key;
        if (!found) bad_request(what + " has an unknown key \"" + item.key() + "\"");
    }
}

/// %XX escapes decoded; throws ApiError 400 for a broken escape or a NUL, so an id never holds
/// bytes the operator did not type.
std::string percent_decoded(const std::string& text);
/// "/api/jobs/J%2F1" → {"api", "jobs", "J/1"}, each part %-decoded.
std::vector<std::string> path_segments(const std::string& path);
/// "a=1&b=x%20y" → {a: "1", b: "x y"}, each part %-decoded.
std::map<std::string, std::string> query_parameters(const std::string& query);
/// Refuses (400) a query parameter the endpoint does not take, as a misspelt key of a body is.
void refuse_unknown_parameters(const std::map<std::string, std::string>& query, std::initializer_list<const char*> known);

}  // namespace dagda::controller
