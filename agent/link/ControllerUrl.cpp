#include "link/ControllerUrl.hpp"

#include "core/Error.hpp"
#include "core/Url.hpp"

#include <boost/asio/ip/address.hpp>

namespace dagda::link {

ControllerUrl parse_controller_url(const std::string& text) {
    const Url parts = parse_url(text, ErrorKind::usage);
    if (parts.scheme != "wss") throw Error(ErrorKind::usage, "the controller URL \"" + text + "\" must start with wss:// (the link is always TLS)");
    ControllerUrl url;
    url.host = parts.host;
    if (!parts.port.empty()) url.port = parts.port;
    if (!parts.target.empty()) url.path = parts.target;
    boost::system::error_code not_an_address;
    boost::asio::ip::make_address(url.host, not_an_address);
    url.host_is_address = !not_an_address;
    return url;
}

}  // namespace dagda::link
