#include "link/ControllerUrl.hpp"

#include "core/Error.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>

namespace dagda::link {

ControllerUrl parse_controller_url(const std::string& text) {
    const std::string scheme = "wss://";
    auto bad = [&](const std::string& why) { return Error(ErrorKind::usage, "the controller URL \"" + text + "\" " + why); };
    if (text.rfind(scheme, 0) != 0) throw bad("must start with wss:// (the link is always TLS)");
    std::string rest = text.substr(scheme.size());
    ControllerUrl url;
    if (const auto slash = rest.find('/'); slash != std::string::npos) {
        url.path = rest.substr(slash);
        rest.resize(slash);
    }
    if (rest.empty()) throw bad("names no host");
    if (rest.front() == '[') {
        const auto close = rest.find(']');
        if (close == std::string::npos) throw bad("has an unclosed [");
        url.host = rest.substr(1, close - 1);
        rest = rest.substr(close + 1);
        if (!rest.empty() && rest.front() != ':') throw bad("has text after the ]");
        if (!rest.empty()) url.port = rest.substr(1);
    } else if (const auto colon = rest.rfind(':'); colon != std::string::npos) {
        url.host = rest.substr(0, colon);
        url.port = rest.substr(colon + 1);
    } else {
        url.host = rest;
    }
    if (url.host.empty()) throw bad("names no host");
    if (url.port.empty() || url.port.size() > 5 || !std::all_of(url.port.begin(), url.port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoul(url.port) == 0 || std::stoul(url.port) > 65535)
        throw bad("has a port that is not 1-65535");
    boost::system::error_code not_an_address;
    boost::asio::ip::make_address(url.host, not_an_address);
    url.host_is_address = !not_an_address;
    return url;
}

}  // namespace dagda::link
