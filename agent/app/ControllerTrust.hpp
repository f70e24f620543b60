#pragma once
/// The HTTPS trust of a controller's origin (its archives, its upload URLs): checked by the
/// controller's pin or CA exactly as the agent's link is, never by the system's CA store.

#include "image/source/HttpsTrust.hpp"
#include "net/TlsTrust.hpp"

#include <string>

namespace dagda::app {

/// An HttpsTrust in which `host`:`port` is verified by `spec`.
image::HttpsTrust controller_https_trust(const std::string& host, const std::string& port, const net::TrustSpec& spec);

}  // namespace dagda::app
