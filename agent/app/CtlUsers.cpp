// dagda ctl user add|passwd|remove and dagda ctl users: the web console's accounts (docs/api.md,
// "Console"). A password is read from the terminal with echo off (asked twice), or as one line
// of standard input with --password-stdin; never from the command line, where `ps` shows it.

#include "app/CtlSession.hpp"
#include "core/Error.hpp"

#include <termios.h>
#include <unistd.h>

#include <iostream>

namespace dagda::app {

namespace po = boost::program_options;
using nlohmann::json;

namespace {

constexpr const char* usage =
    "Usage: dagda ctl user add NAME --role viewer|operator [--password-stdin]\n"
    "       dagda ctl user passwd NAME [--password-stdin]\n"
    "       dagda ctl user remove NAME\n"
    "The web console's users: a viewer sees everything, an operator may also push the buttons.\n"
    "A new password ends the user's sessions. `dagda ctl users` lists them.\n";

/// One line of the terminal, typed with echo off.
std::string read_hidden(const std::string& prompt) {
    termios saved{};
    if (::tcgetattr(STDIN_FILENO, &saved) != 0)
        throw Error(ErrorKind::usage, "standard input is not a terminal: give the password as one line of it with --password-stdin");
    termios quiet = saved;
    quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
    std::cerr << prompt << std::flush;
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    std::string line;
    std::getline(std::cin, line);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::cerr << "\n";
    return line;
}

std::string new_password(const po::variables_map& vm) {
    if (vm.count("password-stdin")) {
        std::string line;
        if (!std::getline(std::cin, line) || line.empty()) throw Error(ErrorKind::usage, "--password-stdin: standard input holds no password line");
        return line;
    }
    const std::string first = read_hidden("New password: ");
    if (read_hidden("The same again: ") != first) throw Error(ErrorKind::usage, "the two passwords differ; nothing was changed");
    return first;
}

po::options_description password_options() {
    po::options_description options("Options");
    options.add_options()("name", po::value<std::string>()->required(), "the user's name")(
        "password-stdin", "read the password as one line of standard input, not from the terminal");
    return options;
}

int add(const std::vector<std::string>& args) {
    po::options_description options = password_options();
    options.add_options()("role", po::value<std::string>()->required(), "viewer (sees everything) or operator (also pushes the buttons)");
    const auto vm = parse_ctl_words(args, usage, options, {"name"});
    if (!vm) return 0;
    const std::string name = (*vm)["name"].as<std::string>(), role = (*vm)["role"].as<std::string>();
    if (role != "viewer" && role != "operator") throw Error(ErrorKind::usage, "--role is viewer or operator, not " + role);
    const auto client = ctl_client(*vm);
    client->post("/api/users", {{"name", name}, {"role", role}, {"password", new_password(*vm)}});
    std::cout << name << ": added as " << (role == "operator" ? "an operator" : "a viewer") << "\n";
    return 0;
}

int passwd(const std::vector<std::string>& args) {
    const auto vm = parse_ctl_words(args, usage, password_options(), {"name"});
    if (!vm) return 0;
    const std::string name = checked_id((*vm)["name"].as<std::string>(), "a user's name");
    const auto client = ctl_client(*vm);
    client->post("/api/users/" + name + "/password", {{"password", new_password(*vm)}});
    std::cout << name << ": password changed; their sessions have ended\n";
    return 0;
}

int remove(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("name", po::value<std::string>()->required(), "the user's name");
    const auto vm = parse_ctl_words(args, usage, options, {"name"});
    if (!vm) return 0;
    const std::string name = checked_id((*vm)["name"].as<std::string>(), "a user's name");
    ctl_client(*vm)->remove("/api/users/" + name);
    std::cout << name << ": removed; their sessions have ended\n";
    return 0;
}

}  // namespace

int ctl_users(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("json", "print the controller's answer");
    const auto vm = parse_ctl_words(args, "Usage: dagda ctl users [--json]\nThe web console's users and their roles.", options, {});
    if (!vm) return 0;
    const json answer = ctl_client(*vm)->get("/api/users");
    if (vm->count("json")) {
        std::cout << answer.dump(2) << "\n";
        return 0;
    }
    for (const json& user : answer.value("users", json::array()))
        std::cout << user.value("name", "?") << "  " << user.value("role", "?") << "  since " << controller_time(user.value("created", std::int64_t{0}))
                  << "\n";
    return 0;
}

int ctl_user(const std::vector<std::string>& args) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        std::cout << usage;
        return args.empty() ? 2 : 0;
    }
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "add") return add(rest);
    if (args[0] == "passwd") return passwd(rest);
    if (args[0] == "remove") return remove(rest);
    throw Error(ErrorKind::usage, "dagda ctl user add, passwd or remove, not " + args[0]);
}

}  // namespace dagda::app
