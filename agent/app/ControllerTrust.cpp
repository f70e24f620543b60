#include "app/ControllerTrust.hpp"

namespace dagda::app {

image::HttpsTrust controller_https_trust(const std::string& host, const std::string& port, const net::TrustSpec& spec) {
    image::HttpsTrust https_trust;
    // A fresh ServerTrust per check: restores open connections on several threads at once, and one
    // shared object would have them all write its refusal text (which nobody reads here) together.
    https_trust.trust_origin(host, port,
                             {[spec, host](bool preverified, boost::asio::ssl::verify_context& context) {
                                  try {  // an OpenSSL callback: nothing may escape it
                                      return net::ServerTrust(spec, host)(preverified, context);
                                  } catch (...) {
                                      return false;
                                  }
                              },
                              spec.ca_file});
    return https_trust;
}

}  // namespace dagda::app
