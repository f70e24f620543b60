#include "app/CtlSession.hpp"

#include <iostream>

#include "core/Error.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iterator>

namespace dagda::app {

namespace po = boost::program_options;

namespace {

std::string from_environment(const char* name) {
    const char* value = std::getenv(name);
    return value ? value : "";
}

/// The operator's token: the file's text without surrounding white space (a trailing newline).
std::string read_token(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw Error(ErrorKind::failed, "cannot read the operator token file " + path);
    std::string token{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    token.erase(0, token.find_first_not_of(" \t\r\n"));
    token.erase(token.find_last_not_of(" \t\r\n") + 1);
    if (token.empty()) throw Error(ErrorKind::failed, "the operator token file " + path + " is empty");
    return token;
}

std::string option_or_environment(const po::variables_map& vm, const char* option, const char* variable) {
    return vm.count(option) ? vm[option].as<std::string>() : from_environment(variable);
}

}  // namespace

po::options_description ctl_connection_options() {
    po::options_description options("Connection (each defaults to its environment variable)");
    options.add_options()("controller", po::value<std::string>(), "https://HOST:PORT of the controller (DAGDA_CTL_CONTROLLER)")(
        "pin", po::value<std::string>(), "SHA-256 pin of the controller's certificate, as dagda controller prints it (DAGDA_CTL_PIN)")(
        "ca", po::value<std::string>(), "or a CA file the controller's certificate must chain to and name the host (DAGDA_CTL_CA)")(
        "token-file", po::value<std::string>(), "file holding the operator's token (DAGDA_CTL_TOKEN_FILE)");
    return options;
}

std::unique_ptr<ControllerClient> ctl_client(const po::variables_map& vm) {
    const std::string url = option_or_environment(vm, "controller", "DAGDA_CTL_CONTROLLER");
    if (url.empty()) throw Error(ErrorKind::usage, "which controller? give --controller https://HOST:PORT (or set DAGDA_CTL_CONTROLLER)");
    net::TrustSpec trust;
    trust.pin = option_or_environment(vm, "pin", "DAGDA_CTL_PIN");
    trust.ca_file = option_or_environment(vm, "ca", "DAGDA_CTL_CA");
    // An option given on the command line wins over the other kind of trust from the environment.
    if (vm.count("pin") && !vm.count("ca")) trust.ca_file.clear();
    if (vm.count("ca") && !vm.count("pin")) trust.pin.clear();
    const std::string token_file = option_or_environment(vm, "token-file", "DAGDA_CTL_TOKEN_FILE");
    if (token_file.empty()) throw Error(ErrorKind::usage, "no operator token: give --token-file FILE (or set DAGDA_CTL_TOKEN_FILE)");
    return std::make_unique<ControllerClient>(parse_controller_url(url), trust, read_token(token_file));
}

const std::string& checked_id(const std::string& id, const char* what) {
    const bool valid = !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    });
    if (!valid) throw Error(ErrorKind::usage, "\"" + id + "\" is not " + (std::string("aeiou").find(what[0]) != std::string::npos ? "an " : "a ") + what + " id");
    return id;
}

namespace {

nlohmann::json enrolment_list(ControllerClient& client) {
    nlohmann::json list = client.get("/api/enrolments").value("enrolments", nlohmann::json::array());
    return list.is_array() ? list : nlohmann::json::array();
}

std::string text_of(const nlohmann::json& enrolment, const char* key) {
    const auto found = enrolment.find(key);
    return found != enrolment.end() && found->is_string() ? found->get<std::string>() : std::string();
}

}  // namespace

std::string agent_id_for(ControllerClient& client, const std::string& given) {
    checked_id(given, "agent");
    const nlohmann::json enrolments = enrolment_list(client);
    for (const auto& e : enrolments)
        if (text_of(e, "agent") == given) return given;
    // An enrolment's name, or the id its agent will have once it connects.
    for (const auto& e : enrolments) {
        const std::string name = text_of(e, "name");
        if (name != given && "agent-" + name != given) continue;
        if (!text_of(e, "agent").empty()) return text_of(e, "agent");
        throw Error(ErrorKind::failed, "the enrolment \"" + name + "\" has no agent yet: agent-" + name +
                                           " has never connected to this controller (dagda ctl enrolments)");
    }
    throw Error(ErrorKind::failed, "no agent or enrolment \"" + given +
                                       "\" on this controller; an agent's id is agent-NAME for the enrolment NAME (dagda ctl enrolments)");
}

std::string enrolment_name_for(ControllerClient& client, const std::string& given) {
    checked_id(given, "enrolment");
    const nlohmann::json enrolments = enrolment_list(client);
    for (const auto& e : enrolments)
        if (text_of(e, "name") == given) return given;
    for (const auto& e : enrolments)
        if (text_of(e, "agent") == given) return text_of(e, "name");
    throw Error(ErrorKind::failed, "no enrolment \"" + given + "\" on this controller (dagda ctl enrolments lists them)");
}

std::string controller_time(std::int64_t seconds) {
    if (seconds <= 0) return "never";
    const std::time_t time = static_cast<std::time_t>(seconds);
    std::tm parts{};
    if (!::gmtime_r(&time, &parts)) return std::to_string(seconds);
    char text[40];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &parts);
    return text;
}

std::optional<boost::program_options::variables_map> parse_ctl_words(const std::vector<std::string>& args, const std::string& usage,
                                                                     boost::program_options::options_description own,
                                                                     std::initializer_list<const char*> words) {
    namespace po = boost::program_options;
    own.add(ctl_connection_options());
    own.add_options()("help,h", "show this help");
    po::positional_options_description positional;
    for (const char* word : words) positional.add(word, 1);
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(own).positional(positional).run(), vm);
    if (vm.count("help")) {
        std::cout << usage << "\n" << own;
        return std::nullopt;
    }
    po::notify(vm);
    return vm;
}

}  // namespace dagda::app
