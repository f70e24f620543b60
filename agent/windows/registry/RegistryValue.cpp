#include "windows/registry/RegistryValue.hpp"

#include "core/Bytes.hpp"
#include "core/Error.hpp"
#include "core/Utf16.hpp"

#include <cstdio>

namespace dagda::windows::registry {

namespace {

void append_utf16z(std::vector<std::uint8_t>& out, const std::string& text) {
    for (const std::uint16_t unit : utf16_units(text)) {
        out.push_back(static_cast<std::uint8_t>(unit & 0xFF));
        out.push_back(static_cast<std::uint8_t>(unit >> 8));
    }
    out.push_back(0);
    out.push_back(0);
}

RegistryValue string_value(ValueType type, const std::string& text) {
    RegistryValue value{type, {}};
    append_utf16z(value.data, text);
    return value;
}

}  // namespace

std::string type_name(ValueType type) {
    switch (type) {
        case ValueType::none: return "REG_NONE";
        case ValueType::sz: return "REG_SZ";
        case ValueType::expand_sz: return "REG_EXPAND_SZ";
        case ValueType::binary: return "REG_BINARY";
        case ValueType::dword: return "REG_DWORD";
        case ValueType::dword_big_endian: return "REG_DWORD_BIG_ENDIAN";
        case ValueType::link: return "REG_LINK";
        case ValueType::multi_sz: return "REG_MULTI_SZ";
        case ValueType::resource_list: return "REG_RESOURCE_LIST";
        case ValueType::full_resource_descriptor: return "REG_FULL_RESOURCE_DESCRIPTOR";
        case ValueType::resource_requirements_list: return "REG_RESOURCE_REQUIREMENTS_LIST";
        case ValueType::qword: return "REG_QWORD";
    }
    return "REG_TYPE_" + std::to_string(static_cast<std::uint32_t>(type));
}

RegistryValue RegistryValue::sz(const std::string& text) { return string_value(ValueType::sz, text); }

RegistryValue RegistryValue::expand_sz(const std::string& text) { return string_value(ValueType::expand_sz, text); }

RegistryValue RegistryValue::multi_sz(const std::vector<std::string>& texts) {
    RegistryValue value{ValueType::multi_sz, {}};
    for (const std::string& text : texts) {
        if (text.empty()) throw Error(ErrorKind::failed, "a REG_MULTI_SZ value cannot hold an empty string");
        append_utf16z(value.data, text);
    }
    value.data.push_back(0);
    value.data.push_back(0);
    return value;
}

RegistryValue RegistryValue::dword(std::uint32_t number) {
    RegistryValue value{ValueType::dword, std::vector<std::uint8_t>(4)};
    store_le<std::uint32_t>(value.data.data(), number);
    return value;
}

RegistryValue RegistryValue::qword(std::uint64_t number) {
    RegistryValue value{ValueType::qword, std::vector<std::uint8_t>(8)};
    store_le<std::uint64_t>(value.data.data(), number);
    return value;
}

RegistryValue RegistryValue::binary(std::vector<std::uint8_t> bytes) { return {ValueType::binary, std::move(bytes)}; }

RegistryValue RegistryValue::none(std::vector<std::uint8_t> bytes) { return {ValueType::none, std::move(bytes)}; }

std::optional<std::string> RegistryValue::text() const {
    if (type != ValueType::sz && type != ValueType::expand_sz && type != ValueType::link) return std::nullopt;
    return utf8_from_utf16le(data.data(), data.size());
}

std::optional<std::vector<std::string>> RegistryValue::texts() const {
    if (type != ValueType::multi_sz) return std::nullopt;
    std::vector<std::string> out;
    std::size_t start = 0;
    for (std::size_t i = 0; i + 1 < data.size(); i += 2) {
        if (data[i] != 0 || data[i + 1] != 0) continue;
        if (i == start) break;  // the empty string that ends the list
        out.push_back(utf8_from_utf16le(data.data() + start, i - start));
        start = i + 2;
    }
    return out;
}

std::optional<std::uint32_t> RegistryValue::number() const {
    if (type != ValueType::dword || data.size() != 4) return std::nullopt;
    return load_le<std::uint32_t>(data.data());
}

std::optional<std::uint64_t> RegistryValue::number64() const {
    if (type == ValueType::qword && data.size() == 8) return load_le<std::uint64_t>(data.data());
    if (const auto small = number()) return *small;
    return std::nullopt;
}

std::string RegistryValue::describe() const {
    std::string out = type_name(type);
    if (const auto n = number()) {
        char buffer[48];
        std::snprintf(buffer, sizeof buffer, " 0x%08x (%u)", *n, *n);
        return out + buffer;
    }
    if (type == ValueType::qword && data.size() == 8) return out + " " + std::to_string(load_le<std::uint64_t>(data.data()));
    if (const auto t = text()) return out + " \"" + *t + "\"";
    if (const auto ts = texts()) {
        out += " [";
        for (std::size_t i = 0; i < ts->size(); ++i) out += (i ? ", \"" : "\"") + (*ts)[i] + "\"";
        return out + "]";
    }
    for (std::size_t i = 0; i < data.size() && i < 64; ++i) out += " " + to_hex(&data[i], 1);
    if (data.size() > 64) out += " … (" + std::to_string(data.size()) + " bytes)";
    return out;
}

}  // namespace dagda::windows::registry
