#include "protocol/Messages.hpp"

#include <algorithm>

namespace dagda::protocol {

namespace {

bool is_hex64(const nlohmann::json& v) {
    if (!v.is_string()) return false;
    const std::string& s = v.get_ref<const std::string&>();
    return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool one_of(const nlohmann::json& v, std::initializer_list<const char*> names) {
    if (!v.is_string()) return false;
    const std::string& s = v.get_ref<const std::string&>();
    return std::any_of(names.begin(), names.end(), [&](const char* n) { return s == n; });
}

/// An integer >= 0, whether it was parsed (unsigned) or built from a signed C++ integer.
bool whole_number(const nlohmann::json& v) {
    return v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0);
}

bool fits(const nlohmann::json& v, FieldKind kind) {
    switch (kind) {
        case FieldKind::text: return v.is_string() && !v.get_ref<const std::string&>().empty();
        case FieldKind::any_text: return v.is_string();
        case FieldKind::hex64: return is_hex64(v);
        case FieldKind::object: return v.is_object();
        case FieldKind::count: return whole_number(v) && v.get<std::uint64_t>() <= largest_sequence;
        case FieldKind::sequence: return whole_number(v) && v.get<std::uint64_t>() >= 1 && v.get<std::uint64_t>() <= largest_sequence;
        case FieldKind::seconds: return whole_number(v) && v.get<std::uint64_t>() >= 1 && v.get<std::uint64_t>() <= 3600;
        case FieldKind::text_or_null: return v.is_null() || v.is_string();
        case FieldKind::texts: return v.is_array() && std::all_of(v.begin(), v.end(), [](const auto& e) { return e.is_string(); });
        case FieldKind::level: return one_of(v, {"debug", "info", "warn", "error"});
        case FieldKind::refuse_reason: return one_of(v, {"busy", "invalid"});
        case FieldKind::error_code:
            return one_of(v, {"malformed", "unknown_type", "too_large", "version", "unauthorized", "busy", "refused", "internal"});
    }
    return false;
}

const char* kind_name(FieldKind kind) {
    switch (kind) {
        case FieldKind::text: return "a non-empty string";
        case FieldKind::any_text: return "a string";
        case FieldKind::hex64: return "64 lower-case hex digits";
        case FieldKind::object: return "an object";
        case FieldKind::count: return "an integer 0 to 2^53 - 1";
        case FieldKind::sequence: return "an integer 1 to 2^53 - 1";
        case FieldKind::seconds: return "1 to 3600";
        case FieldKind::text_or_null: return "a string or null";
        case FieldKind::texts: return "an array of strings";
        case FieldKind::level: return "debug, info, warn or error";
        case FieldKind::refuse_reason: return "busy or invalid";
        case FieldKind::error_code: return "a protocol error code";
    }
    return "?";
}

const MessageSpec& spec_of(const std::string& type) {
    for (const MessageSpec& spec : message_specs())
        if (type == spec.type) return spec;
    throw ProtocolError("unknown_type", "unknown message type \"" + type.substr(0, 64) + "\"");
}

/// Checks `fields` against the spec: every key present, of its kind, and no other.
void check(const MessageSpec& spec, const nlohmann::json& fields) {
    for (const FieldSpec& field : spec.fields) {
        if (!fields.contains(field.name)) throw ProtocolError("malformed", std::string(spec.type) + ": \"" + field.name + "\" is missing");
        if (!fits(fields.at(field.name), field.kind))
            throw ProtocolError("malformed", std::string(spec.type) + ": \"" + field.name + "\" must be " + kind_name(field.kind));
    }
    for (const auto& item : fields.items()) {
        const std::string& key = item.key();
        const bool known = std::any_of(spec.fields.begin(), spec.fields.end(), [&](const FieldSpec& f) { return key == f.name; });
        if (!known) throw ProtocolError("malformed", std::string(spec.type) + ": unknown key \"" + key.substr(0, 64) + "\"");
    }
}

}  // namespace

const std::vector<MessageSpec>& message_specs() {
    static const std::vector<MessageSpec> specs{
        {"challenge", Sender::controller, {{"nonce", FieldKind::hex64}}},
        {"hello", Sender::agent,
         {{"agent_version", FieldKind::text}, {"boot_id", FieldKind::text}, {"enrolment", FieldKind::text}, {"proof", FieldKind::hex64},
          {"inventory", FieldKind::object}}},
        {"welcome", Sender::controller, {{"agent_id", FieldKind::text}, {"heartbeat_seconds", FieldKind::seconds}, {"acked", FieldKind::object}}},
        {"heartbeat", Sender::agent, {{"job", FieldKind::text_or_null}}},
        {"job_offer", Sender::controller, {{"job", FieldKind::text}, {"plan", FieldKind::object}}},
        {"job_accept", Sender::agent, {{"job", FieldKind::text}}},
        {"job_refuse", Sender::agent, {{"job", FieldKind::text}, {"reason", FieldKind::refuse_reason}, {"problems", FieldKind::texts}}},
        {"cancel", Sender::controller, {{"job", FieldKind::text}}},
        {"event", Sender::agent, {{"seq", FieldKind::sequence}, {"job", FieldKind::text}, {"event", FieldKind::object}}},
        {"event_ack", Sender::controller, {{"job", FieldKind::text}, {"upto", FieldKind::count}}},
        {"log", Sender::agent, {{"level", FieldKind::level}, {"text", FieldKind::any_text}}},
        {"error", Sender::either, {{"code", FieldKind::error_code}, {"message", FieldKind::any_text}}},
    };
    return specs;
}

namespace {

/// The deepest nesting of arrays and objects in `frame`, strings skipped. nlohmann parses any
/// depth, but copying, comparing and printing the result recurse: a deep frame would overflow
/// the stack of whoever handles it.
std::size_t nesting(std::string_view frame) {
    std::size_t depth = 0, deepest = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < frame.size(); ++i) {
        const char c = frame[i];
        if (in_string) {
            if (c == '\\') ++i;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            deepest = std::max(deepest, ++depth);
        } else if ((c == '}' || c == ']') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

}  // namespace

Message decode(std::string_view frame) {
    if (frame.size() > largest_hello) throw ProtocolError("too_large", "a frame of " + std::to_string(frame.size()) + " bytes is too large");
    if (nesting(frame) > deepest_nesting) throw ProtocolError("malformed", "the frame nests deeper than " + std::to_string(deepest_nesting) + " levels");
    nlohmann::json doc = nlohmann::json::parse(frame.begin(), frame.end(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) throw ProtocolError("malformed", "the frame is not one JSON object");
    if (!doc.contains("v") || !doc["v"].is_number_integer()) throw ProtocolError("malformed", "\"v\" is missing");
    if (doc["v"].get<std::int64_t>() != version)
        throw ProtocolError("version", "protocol version " + doc["v"].dump() + " is not spoken here (version 1 is)");
    if (!doc.contains("type") || !doc["type"].is_string()) throw ProtocolError("malformed", "\"type\" is missing");
    Message message{doc["type"].get<std::string>(), nlohmann::json::object()};
    const MessageSpec& spec = spec_of(message.type);
    if (message.type != "hello" && frame.size() > largest_frame)
        throw ProtocolError("too_large", message.type + ": a frame of " + std::to_string(frame.size()) + " bytes is too large");
    doc.erase("v");
    doc.erase("type");
    check(spec, doc);
    message.fields = std::move(doc);
    return message;
}

std::string encode(const Message& message) {
    check(spec_of(message.type), message.fields);
    nlohmann::json doc = message.fields;
    doc["v"] = version;
    doc["type"] = message.type;
    std::string frame = doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    const std::size_t limit = message.type == "hello" ? largest_hello : largest_frame;
    if (frame.size() > limit) throw ProtocolError("too_large", message.type + ": " + std::to_string(frame.size()) + " bytes is too large to send");
    return frame;
}

Message error_message(const ProtocolError& error) {
    return {"error", {{"code", error.code()}, {"message", std::string(error.what()).substr(0, 1024)}}};
}

}  // namespace dagda::protocol
