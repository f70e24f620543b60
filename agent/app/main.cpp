// dagda: the one executable. This file is the catch boundary: every error of every command ends
// here and becomes a message plus its documented exit code.

#include "app/Commands.hpp"
#include "app/Version.hpp"
#include "core/Error.hpp"

#include <boost/program_options/errors.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>

namespace {

using dagda::app::Command;

const Command* find_command(const std::vector<std::string>& args, std::size_t& used) {
    const Command* best = nullptr;
    for (const auto& command : dagda::app::all_commands()) {
        const auto& words = command.words;
        if (words.size() <= args.size() && std::equal(words.begin(), words.end(), args.begin()) &&
            (!best || words.size() > best->words.size()))
            best = &command;
    }
    used = best ? best->words.size() : 0;
    return best;
}

int report(dagda::ErrorKind kind, const std::string& message, bool json) {
    std::cerr << "dagda: " << (kind == dagda::ErrorKind::refused ? "refused: " : "error: ") << message << "\n";
    if (json) std::cout << nlohmann::json{{"error", {{"kind", dagda::to_string(kind)}, {"message", message}}}}.dump(2) << "\n";
    return dagda::exit_code(kind);
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    const bool json = std::find(args.begin(), args.end(), "--json") != args.end();
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        (args.empty() ? std::cerr : std::cout) << dagda::app::main_help();
        return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version" || args[0] == "version") {
        std::cout << dagda::app::version_text << "\n";
        return 0;
    }
    std::size_t used = 0;
    const Command* command = find_command(args, used);
    if (!command) return report(dagda::ErrorKind::usage, "unknown command '" + args[0] + "'; see dagda --help", json);
    try {
        return command->run(std::vector<std::string>(args.begin() + static_cast<std::ptrdiff_t>(used), args.end()));
    } catch (const boost::program_options::error& e) {
        return report(dagda::ErrorKind::usage, std::string(e.what()) + "\n" + dagda::app::usage_line(command->words), json);
    } catch (const dagda::Error& e) {
        return report(e.kind(), e.what(), json);
    } catch (const std::exception& e) {
        return report(dagda::ErrorKind::failed, e.what(), json);
    }
}
