#pragma once
/// The messages of the controller protocol (docs/protocol.md), as data: each type with the keys
/// it must have and what each holds. decode() accepts only a frame that is one JSON object of a
/// known type with exactly its keys, each of its kind, within the size limit; anything else is a
/// ProtocolError with the code to answer with. No socket here: the link sends the frames.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dagda::protocol {

inline constexpr int version = 1;
inline constexpr std::size_t largest_frame = 1u << 20;  ///< every message but hello
inline constexpr std::size_t largest_hello = 4u << 20;  ///< hello carries the inventory
/// The largest `seq` or `upto`: 2^53 - 1, the largest integer every JSON reader holds exactly, and
/// far inside the controller's signed 64-bit columns (a seq at 2^63 used to wrap).
inline constexpr std::uint64_t largest_sequence = (std::uint64_t{1} << 53) - 1;
inline constexpr std::size_t deepest_nesting = 64;       ///< arrays and objects inside each other

/// A frame that is refused; `code` is the `error` message's code (malformed, unknown_type,
/// too_large, version).
class ProtocolError : public std::runtime_error {
public:
    ProtocolError(std::string code, const std::string& message) : std::runtime_error(message), code_(std::move(code)) {}
    const std::string& code() const noexcept { return code_; }

private:
    std::string code_;
};

enum class Sender { agent, controller, either };

/// What one key holds.
enum class FieldKind {
    text,           ///< a non-empty string
    hex64,          ///< 64 lower-case hex digits (a nonce, an HMAC)
    object,         ///< a JSON object (inventory, plan, job event), checked by its own reader
    count,          ///< an integer 0 to largest_sequence
    sequence,       ///< an integer 1 to largest_sequence
    seconds,        ///< an integer 1..3600
    text_or_null,   ///< a string or null
    texts,          ///< an array of strings
    level,          ///< debug, info, warn, error
    refuse_reason,  ///< busy, invalid
    error_code,     ///< one of the protocol's error codes
    any_text,       ///< a string, possibly empty
};

struct FieldSpec {
    const char* name;
    FieldKind kind;
};

struct MessageSpec {
    const char* type;
    Sender from;
    std::vector<FieldSpec> fields;
};

/// Every message type of version 1.
const std::vector<MessageSpec>& message_specs();

/// A checked message: its type and its keys (without "v" and "type").
struct Message {
    std::string type;
    nlohmann::json fields = nlohmann::json::object();
};

/// Checks and reads one frame. Throws ProtocolError.
Message decode(std::string_view frame);

/// The frame for `message`; throws ProtocolError when it is not a valid message (a bug).
std::string encode(const Message& message);

/// An `error` message answering `error`.
Message error_message(const ProtocolError& error);

}  // namespace dagda::protocol
