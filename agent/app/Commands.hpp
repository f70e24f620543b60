#pragma once
/// The `dagda` subcommands, declared as data: the words that name each one, a summary for
/// `dagda --help`, and the function that runs it.

#include "disk/Safety.hpp"

#include <boost/program_options.hpp>

#include <optional>
#include <string>
#include <vector>

namespace dagda::app {

/// Runs a command on its own arguments (everything after its name); returns the exit code.
/// Throws dagda::Error or boost::program_options::error; main() is the one catch boundary.
using CommandFunction = int (*)(const std::vector<std::string>& args);

struct Command {
    std::vector<std::string> words;  ///< {"disk", "apply"}
    const char* synopsis;            ///< "TARGET LAYOUT.json [options]"
    const char* summary;
    CommandFunction run;
};

/// Every subcommand, in the order `dagda --help` lists them.
const std::vector<Command>& all_commands();

/// Text of `dagda --help`: commands, exit codes, where to read more.
std::string main_help();

int run_inventory(const std::vector<std::string>& args);
int run_disk_show(const std::vector<std::string>& args);
int run_disk_apply(const std::vector<std::string>& args);
int run_tib_capture(const std::vector<std::string>& args);
int run_tib_restore(const std::vector<std::string>& args);
int run_tib_info(const std::vector<std::string>& args);
int run_tib_verify(const std::vector<std::string>& args);
int run_tib_ls(const std::vector<std::string>& args);
int run_tib_extract(const std::vector<std::string>& args);
int run_windows_info(const std::vector<std::string>& args);
int run_windows_set_identity(const std::vector<std::string>& args);
int run_inoculate(const std::vector<std::string>& args);
int run_run(const std::vector<std::string>& args);
int run_undo(const std::vector<std::string>& args);
int run_console(const std::vector<std::string>& args);
int run_plan_from_archive(const std::vector<std::string>& args);
int run_fixup_boot(const std::vector<std::string>& args);
int run_ctl(const std::vector<std::string>& args);
int run_agent(const std::vector<std::string>& args);
int run_controller(const std::vector<std::string>& args);

/// "Usage: dagda disk apply TARGET LAYOUT.json [options]" for a command's --help.
std::string usage_line(const std::vector<std::string>& words);

}  // namespace dagda::app

namespace dagda::app {

/// Adds --expect-size, --expect-serial, --expect-wwn and --yes, the identity assertions every
/// command that overwrites a disk takes (see disk::IdentityAssertions).
void add_identity_options(boost::program_options::options_description& options);

/// The identity assertions given on the command line.
disk::IdentityAssertions identity_assertions(const boost::program_options::variables_map& vm);

/// Parses a command's arguments; prints usage and options and returns nullopt for --help.
/// Throws boost::program_options::error on a bad command line (exit code 2 in main).
std::optional<boost::program_options::variables_map> parse_args(
    const std::vector<std::string>& args, const std::vector<std::string>& words,
    const boost::program_options::options_description& options,
    const boost::program_options::positional_options_description& positional);

}  // namespace dagda::app
