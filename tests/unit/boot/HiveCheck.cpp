#include "HiveCheck.hpp"

#include "common/Run.hpp"

#include <sstream>
#include <stdexcept>

namespace dagda::testing {

namespace {

RunResult checked(const std::string& command) {
    RunResult result = run(command);
    if (result.exit_code != 0) throw std::runtime_error(command + " failed: " + result.err);
    return result;
}

}  // namespace

std::string hivexget_bytes(const std::string& hive, const std::string& key, const std::string& value) {
    return checked("hivexget " + sh_quote(hive) + " " + sh_quote(key) + " " + sh_quote(value)).out;
}

std::vector<std::string> hivexsh_subkeys(const std::string& hive, const std::string& key) {
    // hivexsh reads commands from stdin when it is not a terminal; `cd` takes a '\\' path.
    const std::string script = "printf '%s\\n' " + sh_quote("cd \\" + key) + " ls";
    std::istringstream lines(checked(script + " | hivexsh " + sh_quote(hive)).out);
    std::vector<std::string> names;
    for (std::string line; std::getline(lines, line);)
        if (!line.empty()) names.push_back(line);
    return names;
}

std::map<std::string, std::string> bcd_elements(const std::string& hive) {
    std::map<std::string, std::string> out;
    for (const std::string& object : hivexsh_subkeys(hive, "Objects")) {
        const std::string elements = "Objects\\" + object + "\\Elements";
        for (const std::string& element : hivexsh_subkeys(hive, elements))
            out[object + "\\" + element] = hivexget_bytes(hive, elements + "\\" + element, "Element");
    }
    return out;
}

std::map<std::string, std::string> hivexget_values(const std::string& hive, const std::string& key,
                                                   const std::vector<std::string>& names) {
    std::map<std::string, std::string> out;
    for (const std::string& name : names) out[name] = hivexget_bytes(hive, key, name);
    return out;
}

std::vector<std::uint8_t> as_bytes(const std::string& text) { return {text.begin(), text.end()}; }

std::string as_string(const std::vector<std::uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }

}  // namespace dagda::testing
