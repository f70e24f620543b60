#pragma once
/// What the TLS port's request handlers share (ControllerServer.cpp, ControllerUploads.cpp): JSON
/// answers, and the names of the archive folder's files a URL may name.

#include "controller/ArchiveNames.hpp"
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <utility>

namespace dagda::controller {

/// An answer with a JSON body, never cached.
boost::beast::http::response<boost::beast::http::string_body> json_response(unsigned version, bool keep_alive, int status,
                                                                             const nlohmann::json& body, const std::string& allow = "");

/// {"error": code, "message": message}: how every refusal reads (docs/api.md).
inline nlohmann::json refusal(const std::string& code, const std::string& message) { return {{"error", code}, {"message", message}}; }

/// Refuses (ApiError 400) a path inside a volume that does not start with '/' or holds a "." or
/// ".." part (it would climb out of what the generation holds); '\' counts as '/'.
void check_volume_path(const std::string& path);

/// `text` without the archive folder's path: the API names files, never the controller's folders.
std::string without_folder(std::string text, const std::string& folder);

/// KEY and NAME of a "KEY/SERVER/FILE" URL path after its route ("/files/", "/uploads/"), each
/// part of NAME %-decoded; NAME is "" when a part decodes to something holding a '/'.
std::pair<std::string, std::string> grant_and_name(const std::string& rest);

}  // namespace dagda::controller
