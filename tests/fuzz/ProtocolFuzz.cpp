// libFuzzer target for the controller protocol's decoder (docs/protocol.md): any frame a peer may
// send either decodes to a message that encodes and decodes back to the same, or is refused with
// a ProtocolError. Nothing else may come out: no crash, no other exception, no sanitizer report.

#include "protocol/Messages.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view frame(reinterpret_cast<const char*>(data), size);
    try {
        const dagda::protocol::Message message = dagda::protocol::decode(frame);
        const dagda::protocol::Message again = dagda::protocol::decode(dagda::protocol::encode(message));
        if (again.type != message.type || again.fields != message.fields) std::abort();
    } catch (const dagda::protocol::ProtocolError&) {
        // refused: the answer is an `error` message
    }
    return 0;
}
