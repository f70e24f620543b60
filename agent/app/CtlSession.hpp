#pragma once
/// What the `dagda ctl` subcommands share: the connection options every one takes, the client
/// they make from them (CtlSession.cpp), and the views of a job (CtlJobView.cpp).

#include "app/ControllerClient.hpp"

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dagda::app {

/// --controller, --pin, --ca and --token-file, each defaulting to its environment variable
/// (DAGDA_CTL_CONTROLLER, DAGDA_CTL_PIN, DAGDA_CTL_CA, DAGDA_CTL_TOKEN_FILE).
boost::program_options::options_description ctl_connection_options();

/// The client the connection options describe. Throws Error{usage} for a missing controller,
/// trust or token, Error{failed} for a token file that cannot be read.
std::unique_ptr<ControllerClient> ctl_client(const boost::program_options::variables_map& vm);

/// Refuses (Error{usage}) an id that is not 1-128 characters of A-Z a-z 0-9 . _ - (what the
/// controller gives out), so an id can go into a URL path as it is.
const std::string& checked_id(const std::string& id, const char* what);

/// The agent id an operator means by `given`: an agent id (agent-srv01) or the name of the
/// enrolment it belongs to (srv01), looked up in GET /api/enrolments. Throws Error{failed}
/// naming what is wrong: neither is known, or the enrolment's agent has not connected yet.
std::string agent_id_for(ControllerClient& client, const std::string& given);

/// The enrolment name an operator means by `given`: an enrolment's name, or its agent's id.
/// Throws Error{failed} when neither is known.
std::string enrolment_name_for(ControllerClient& client, const std::string& given);

/// Parses a subcommand's arguments: its own options, the connection options and --help, the
/// positional `words` in order. Prints `usage` and the options and returns nullopt for --help.
std::optional<boost::program_options::variables_map> parse_ctl_words(const std::vector<std::string>& args, const std::string& usage,
                                                                     boost::program_options::options_description own,
                                                                     std::initializer_list<const char*> words);

/// `dagda ctl hypervisor add|list|remove` (CtlHypervisors.cpp).
int ctl_hypervisor(const std::vector<std::string>& args);
/// `dagda ctl servers` and `dagda ctl generations SERVER` (CtlServers.cpp).
int ctl_servers(const std::vector<std::string>& args);
int ctl_generations(const std::vector<std::string>& args);
/// `dagda ctl recover-vm` and `dagda ctl recovery` (CtlRecoveries.cpp).
int ctl_recover_vm(const std::vector<std::string>& args);
int ctl_recovery(const std::vector<std::string>& args);
/// Follows a recovery to a new VM until it ends, each step with its duration (CtlRecoveries.cpp);
/// its exit code (0 succeeded or cleaned, 1 failed).
int follow_recovery(ControllerClient& client, const std::string& id);
/// `dagda ctl push-button` (CtlRecoveries.cpp): a server's replica to a new VM.
int ctl_push_button(const std::vector<std::string>& args);

/// `dagda ctl replicas` and `dagda ctl replica add|freeze|resume|remove` (CtlReplicas.cpp).
int ctl_replicas(const std::vector<std::string>& args);
int ctl_replica(const std::vector<std::string>& args);

/// `dagda ctl users` and `dagda ctl user add|passwd|remove` (CtlUsers.cpp): the console's accounts.
int ctl_users(const std::vector<std::string>& args);
int ctl_user(const std::vector<std::string>& args);

/// "2026-11-27 22:40:01 UTC" for a controller time (Unix seconds).
std::string controller_time(std::int64_t seconds);

/// `dagda ctl job`: a job's state, reason, times and plan steps, as text.
void print_job(const nlohmann::json& job);

/// `dagda ctl watch`: follows a job's events until it ends, drawing each step's progress.
/// Returns the exit code: 0 succeeded, 1 failed, 3 refused, 4 cancelled.
int watch_job(ControllerClient& client, const std::string& job);

}  // namespace dagda::app
