#pragma once
/// What the helper VM tests share (HelperRecoveryTests, PushButtonHelperTests): the live ISO the
/// helper boots, and the controller options that let a guest on QEMU's user network reach it.

#include "integration/image/LiveImage.hpp"

#include <string>
#include <vector>

namespace dagda::testing {

/// The controller as a helper reaches it (10.0.2.2 is the host's loopback from QEMU's user
/// network); its helpers boot `iso` and have `hello_seconds` to say hello.
inline std::vector<std::string> helper_controller(const std::string& iso, int hello_seconds) {
    return {"--name", "IP:10.0.2.2", "--name", "IP:127.0.0.1", "--public-host", "10.0.2.2", "--helper-iso", iso, "--helper-hello-seconds",
            std::to_string(hello_seconds)};
}

/// The live image's ISO, which the helper boots; the test fails where it was not built.
inline std::string live_iso() { return image_dir() + "/dagda-rescue.iso"; }

}  // namespace dagda::testing
