// dagda ctl: the operator's client of a controller's REST API (docs/api.md). Enrols machines,
// lists agents and jobs, submits plans and recoveries, follows a job live and cancels it. Each
// subcommand is one request (watch polls); what the controller refuses is printed as
// "dagda ctl: MESSAGE" with a non-zero exit code.

#include "app/Commands.hpp"
#include "app/CtlSession.hpp"
#include "core/Error.hpp"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace dagda::app {

namespace po = boost::program_options;
using nlohmann::json;

namespace {

struct CtlSubcommand {
    const char* name;
    const char* synopsis;
    const char* summary;
    int (*run)(const std::vector<std::string>& args);
};

const std::vector<CtlSubcommand>& ctl_subcommands();

const CtlSubcommand& subcommand_named(const std::string& name) {
    for (const CtlSubcommand& sub : ctl_subcommands())
        if (name == sub.name) return sub;
    throw Error(ErrorKind::usage, "unknown subcommand '" + name + "'; see dagda ctl --help");
}

/// Parses a subcommand's arguments with the connection options; prints its help and returns
/// nullopt for --help.
std::optional<po::variables_map> parse_ctl(const std::vector<std::string>& args, const char* name, po::options_description own,
                                           const po::positional_options_description& positional) {
    own.add(ctl_connection_options());
    own.add_options()("help,h", "show this help");
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(own).positional(positional).run(), vm);
    if (vm.count("help")) {
        const CtlSubcommand& sub = subcommand_named(name);
        std::cout << "Usage: dagda ctl " << sub.name << " " << sub.synopsis << "\n" << sub.summary << "\n\n" << own;
        return std::nullopt;
    }
    po::notify(vm);
    return vm;
}

po::positional_options_description positional_words(std::initializer_list<const char*> names) {
    po::positional_options_description positional;
    for (const char* name : names) positional.add(name, 1);
    return positional;
}

json read_json_file(const std::string& path) {
    std::string text;
    if (path == "-") {
        text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
        std::ifstream in(path);
        if (!in) throw Error(ErrorKind::failed, "cannot read " + path);
        text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) throw Error(ErrorKind::failed, path + " is not a JSON object");
    return doc;
}

void print_queued(const json& answer, const std::string& agent) {
    const std::string id = answer.value("id", "");
    std::cout << id << "\n";
    std::cerr << "dagda ctl: queued " << id << " for " << agent << "; follow it with: dagda ctl watch " << id << "\n";
}

int ctl_enrol(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("name", po::value<std::string>()->required(), "the machine's name (1-64 of A-Z a-z 0-9 . _ -)")(
        "mac", po::value<std::string>(), "the MAC address it boots by PXE with: the controller's boot port then serves its iPXE script")(
        "json", "print {\"name\", \"token\"}");
    const auto vm = parse_ctl(args, "enrol", options, positional_words({"name"}));
    if (!vm) return 0;
    json request = {{"name", (*vm)["name"].as<std::string>()}};
    if (vm->count("mac")) request["mac"] = (*vm)["mac"].as<std::string>();
    const json answer = ctl_client(*vm)->post("/api/enrolments", request);
    if (vm->count("json")) std::cout << answer.dump(2) << "\n";
    else std::cout << answer.value("token", "") << "\n";
    if (answer.contains("mac"))
        std::cerr << "dagda ctl: " << answer.value("name", "") << " boots its agent by PXE from the controller's boot port (card "
                  << answer.value("mac", "") << "); the token is in that script too\n";
    else
        std::cerr << "dagda ctl: give this token to the agent of " << answer.value("name", "")
                  << " (kernel command line or config file); it is shown once\n";
    return 0;
}

int ctl_arm(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("name", po::value<std::string>()->required(), "the enrolment to arm (its NAME, or its agent's id)");
    const auto vm = parse_ctl(args, "arm", options, positional_words({"name"}));
    if (!vm) return 0;
    const auto client = ctl_client(*vm);
    const std::string name = enrolment_name_for(*client, (*vm)["name"].as<std::string>());
    const json answer = client->post("/api/enrolments/" + name + "/arm", json::object());
    std::cerr << "dagda ctl: the next PXE boot of " << answer.value("mac", "") << " starts the agent of " << name
              << " (until that agent says hello)\n";
    return 0;
}

std::string disk_summary(const json& inventory) {
    std::string text;
    if (!inventory.is_object() || !inventory.contains("disks") || !inventory["disks"].is_array()) return "-";
    for (const json& disk : inventory["disks"]) {
        if (!disk.is_object()) continue;
        text += (text.empty() ? "" : ", ") + disk.value("path", std::string("?"));
        if (disk.contains("serial") && disk["serial"].is_string()) text += " (" + disk["serial"].get<std::string>() + ")";
    }
    return text.empty() ? "-" : text;
}

int ctl_enrolments(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("json", "print the controller's answer");
    const auto vm = parse_ctl(args, "enrolments", options, {});
    if (!vm) return 0;
    const json answer = ctl_client(*vm)->get("/api/enrolments");
    if (vm->count("json")) {
        std::cout << answer.dump(2) << "\n";
        return 0;
    }
    const auto text = [](const json& e, const char* key, const std::string& otherwise) {
        return e.contains(key) && e[key].is_string() ? e[key].get<std::string>() : otherwise;
    };
    for (const json& e : answer.value("enrolments", json::array())) {
        if (!e.is_object()) continue;
        const std::string mac = text(e, "mac", "");
        std::cout << text(e, "name", "?") << "  agent " << text(e, "agent", "(not connected yet)") << ", "
                  << (mac.empty() ? std::string("no MAC") : "MAC " + mac + (e.value("armed", false) ? " armed for its next PXE boot" : " not armed"))
                  << ", " << (e.contains("machine_id") && e["machine_id"].is_string() ? "bound to machine " + e["machine_id"].get<std::string>()
                                                                                     : std::string("not bound to a machine yet"))
                  << "\n";
    }
    return 0;
}

int ctl_agents(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("json", "print the controller's answer (with each inventory)");
    const auto vm = parse_ctl(args, "agents", options, {});
    if (!vm) return 0;
    const json answer = ctl_client(*vm)->get("/api/agents");
    if (vm->count("json")) {
        std::cout << answer.dump(2) << "\n";
        return 0;
    }
    for (const json& agent : answer.value("agents", json::array())) {
        std::cout << agent.value("id", "?") << "  " << (agent.value("connected", false) ? "connected" : "offline") << ", last seen "
                  << controller_time(agent.value("last_seen", std::int64_t{0})) << ", " << agent.value("agent_version", "?") << "\n    disks: "
                  << disk_summary(agent.value("inventory", json::object())) << "\n";
    }
    return 0;
}

int ctl_submit(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("agent", po::value<std::string>()->required(), "the agent's id (agent-NAME) or its enrolment's NAME")(
        "plan", po::value<std::string>()->required(), "the plan (docs/plan.md); - reads it from stdin");
    const auto vm = parse_ctl(args, "submit", options, positional_words({"agent", "plan"}));
    if (!vm) return 0;
    const json plan = read_json_file((*vm)["plan"].as<std::string>());
    const auto client = ctl_client(*vm);
    const std::string agent = agent_id_for(*client, (*vm)["agent"].as<std::string>());
    print_queued(client->post("/api/jobs", {{"agent", agent}, {"plan", plan}}), agent);
    return 0;
}

/// Queues a job the controller plans (`kind`: "recover" or "backup") and prints its id, and on
/// stderr the plan's name: it names the disk and what it holds now (a partition table a recovery
/// will overwrite) or the file a backup becomes, so the operator sees it at once, not only in ctl job.
void queue_planned_job(ControllerClient& client, const std::string& agent, const char* kind, const json& request) {
    const json queued = client.post("/api/jobs", {{"agent", agent}, {kind, request}});
    print_queued(queued, agent);
    const json job = client.get("/api/jobs/" + checked_id(queued.value("id", ""), "job"));
    const json plan = job.value("plan", json::object());
    if (plan.is_object() && plan.contains("name") && plan["name"].is_string())
        std::cerr << "dagda ctl: plan: " << plan["name"].get<std::string>() << "\n";
}

int ctl_recover(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("agent", po::value<std::string>()->required(), "the agent's id (agent-NAME) or its enrolment's NAME")(
        "archive", po::value<std::string>()->required(), "the newest TIB generation, a file name in the controller's archive folder")(
        "generation", po::value<unsigned>(), "which generation to recover, 1 = the full backup (default: the newest)")(
        "disk", po::value<std::string>(), "the agent's disk to recover onto: path, serial, WWN or by-id/by-path name (default: its only disk)")(
        "for", po::value<std::vector<std::string>>()->composing(), "inoculate for these catalog targets instead of the agent's own controllers")(
        "drivers", po::value<std::string>(), "a folder of vendor driver packages on the agent")(
        "then", po::value<std::string>(), "reboot (into the restored server) or poweroff when recovered");
    const auto vm = parse_ctl(args, "recover", options, positional_words({"agent", "archive"}));
    if (!vm) return 0;
    const auto client = ctl_client(*vm);
    const std::string agent = agent_id_for(*client, (*vm)["agent"].as<std::string>());
    json recover{{"archive", (*vm)["archive"].as<std::string>()}};
    if (vm->count("generation")) recover["generation"] = (*vm)["generation"].as<unsigned>();
    if (vm->count("disk")) recover["disk"] = (*vm)["disk"].as<std::string>();
    if (vm->count("for")) recover["for"] = (*vm)["for"].as<std::vector<std::string>>();
    if (vm->count("drivers")) recover["drivers"] = (*vm)["drivers"].as<std::string>();
    if (vm->count("then")) recover["then"] = (*vm)["then"].as<std::string>();
    queue_planned_job(*client, agent, "recover", recover);
    return 0;
}

int ctl_backup(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("agent", po::value<std::string>()->required(), "the agent's id (agent-NAME) or its enrolment's NAME")(
        "server", po::value<std::string>()->required(), "the server's folder in the controller's archive folder (made for a first backup)")(
        "disk", po::value<std::string>(), "the agent's disk to back up: path, serial, WWN or by-id/by-path name (default: its only disk)")(
        "chain", po::value<std::string>(), "an incremental on the chain that begins with this full backup (default: the server's only chain)")(
        "full", "a full backup, even where the server has a chain")("level", po::value<unsigned>(), "zstd level, 0-19 (default 3)");
    const auto vm = parse_ctl(args, "backup", options, positional_words({"agent"}));
    if (!vm) return 0;
    const auto client = ctl_client(*vm);
    const std::string agent = agent_id_for(*client, (*vm)["agent"].as<std::string>());
    json backup{{"server", (*vm)["server"].as<std::string>()}};
    if (vm->count("disk")) backup["disk"] = (*vm)["disk"].as<std::string>();
    if (vm->count("chain")) backup["chain"] = (*vm)["chain"].as<std::string>();
    if (vm->count("full")) backup["full"] = true;
    if (vm->count("level")) backup["level"] = (*vm)["level"].as<unsigned>();
    queue_planned_job(*client, agent, "backup", backup);
    return 0;
}

int ctl_jobs(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("agent", po::value<std::string>(), "only this agent's jobs")("json", "print the controller's answer");
    const auto vm = parse_ctl(args, "jobs", options, {});
    if (!vm) return 0;
    const auto client = ctl_client(*vm);
    const std::string filter = vm->count("agent") ? "?agent=" + agent_id_for(*client, (*vm)["agent"].as<std::string>()) : "";
    const json answer = client->get("/api/jobs" + filter);
    if (vm->count("json")) {
        std::cout << answer.dump(2) << "\n";
        return 0;
    }
    for (const json& job : answer.value("jobs", json::array())) {
        std::cout << job.value("id", "?") << "  " << job.value("agent", "?") << "  " << job.value("state", "?") << "  created "
                  << controller_time(job.value("created", std::int64_t{0})) << "\n";
    }
    return 0;
}

int ctl_job(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("job", po::value<std::string>()->required(), "the job's id")("json", "print the controller's answer (with the plan)");
    const auto vm = parse_ctl(args, "job", options, positional_words({"job"}));
    if (!vm) return 0;
    const json job = ctl_client(*vm)->get("/api/jobs/" + checked_id((*vm)["job"].as<std::string>(), "job"));
    if (vm->count("json")) std::cout << job.dump(2) << "\n";
    else print_job(job);
    return 0;
}

int ctl_watch(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("job", po::value<std::string>()->required(), "the job's id, or a recovery's (recovery-N)");
    const auto vm = parse_ctl(args, "watch", options, positional_words({"job"}));
    if (!vm) return 0;
    const std::string id = checked_id((*vm)["job"].as<std::string>(), "job");
    // A recovery to a new VM (or a push button) is followed step by step, each with its duration.
    if (id.rfind("recovery-", 0) == 0) return follow_recovery(*ctl_client(*vm), id);
    return watch_job(*ctl_client(*vm), id);
}

int ctl_cancel(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("job", po::value<std::string>()->required(), "the job's id");
    const auto vm = parse_ctl(args, "cancel", options, positional_words({"job"}));
    if (!vm) return 0;
    const std::string id = checked_id((*vm)["job"].as<std::string>(), "job");
    const json answer = ctl_client(*vm)->post("/api/jobs/" + id + "/cancel", json::object());
    if (answer.value("state", "") == "cancelled") std::cout << id << ": cancelled\n";
    else std::cout << id << ": cancel requested; the agent stops at its next safe point (dagda ctl watch " << id << ")\n";
    return 0;
}

const std::vector<CtlSubcommand>& ctl_subcommands() {
    static const std::vector<CtlSubcommand> subcommands{
        {"enrol", "NAME [--mac MAC] [--json]", "enrol a machine: prints the token its agent proves itself with", ctl_enrol},
        {"arm", "NAME", "let the next PXE boot of a MAC enrolment start its agent (again)", ctl_arm},
        {"enrolments", "[--json]", "the enrolments: name, agent id, MAC and whether it is armed, the machine its token is bound to", ctl_enrolments},
        {"agents", "[--json]", "the agents: connected or not, last seen, version, disks", ctl_agents},
        {"submit", "AGENT PLAN.json", "queue a plan (docs/plan.md) for an agent; prints the job's id", ctl_submit},
        {"recover", "AGENT ARCHIVE.tib [--generation N] [--disk D] [--for T]... [--drivers DIR] [--then reboot|poweroff]",
         "queue a whole-server recovery from an archive of the controller's folder; prints the job's id", ctl_recover},
        {"backup", "AGENT --server NAME [--disk D] [--chain FULL.tib | --full] [--level N]",
         "queue a backup of an agent's disk into the controller's archive folder (uploaded, committed once verified); prints the job's id", ctl_backup},
        {"jobs", "[--agent A] [--json]", "the jobs, newest first", ctl_jobs},
        {"job", "JOB [--json]", "one job: state, reason, times and the plan's steps", ctl_job},
        {"watch", "JOB | RECOVERY", "follow a job or a recovery live until it ends (a job: exit 0 succeeded, 1 failed, 3 refused, 4 cancelled)", ctl_watch},
        {"cancel", "JOB", "cancel a job (a queued one at once; a running one at the agent's next safe point)", ctl_cancel},
        {"servers", "[--json]", "the servers whose backups the controller holds (a folder each in its archive folder)", ctl_servers},
        {"generations", "SERVER [--json]", "one server's disks and their generations: number, date, full or incremental, size", ctl_generations},
        {"recover-vm", "SERVER --hypervisor H --name NEW [--generation N] [--direct] [--dry-run] [VM options]",
         "recover a server's generation to a new VM on a hypervisor, left off; follows it to the end", ctl_recover_vm},
        {"push-button", "SERVER --hypervisor H --name NEW [--copy | --backup] [--disable SERVICE]... [--direct] [VM options]",
         "turn a server's replica into a new VM, left off (in place, or from a copy or a backup of it); follows it to the end", ctl_push_button},
        {"recovery", "ID [--watch] [--json]", "a recovery to a new VM: its state and steps with their durations", ctl_recovery},
        {"hypervisor", "add NAME --uri URI --pool POOL [--network NET] [--credentials-file F] | list | remove NAME",
         "the hypervisors the controller makes VMs on", ctl_hypervisor},
        {"replicas", "[--json]", "every replication engine's sessions: server, hypervisor, state, volumes", ctl_replicas},
        {"replica", "add SERVER --hypervisor H | freeze ID | resume ID | remove ID", "the built-in engine's replicas, kept current from the archive",
         ctl_replica},
        {"users", "[--json]", "the web console's users and their roles", ctl_users},
        {"user", "add NAME --role viewer|operator | passwd NAME | remove NAME [--password-stdin]",
         "the web console's users (a password is asked on the terminal, or read from standard input)", ctl_user},
    };
    return subcommands;
}

std::string ctl_help() {
    std::ostringstream out;
    out << "Usage: dagda ctl SUBCOMMAND [ARGS] --controller https://HOST:PORT (--pin PIN | --ca FILE) [--token-file FILE]\n"
           "The operator's client of a Dagda controller (docs/api.md).\n\nSubcommands:\n";
    for (const CtlSubcommand& sub : ctl_subcommands()) out << "  " << sub.name << " " << sub.synopsis << "\n      " << sub.summary << "\n";
    out << "\n" << ctl_connection_options() << "\nEvery subcommand takes --help.\n";
    return out.str();
}

/// The subcommand's word, wherever it stands among the connection options (which take a value).
std::size_t subcommand_position(const std::vector<std::string>& args) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& word = args[i];
        if (word == "--controller" || word == "--pin" || word == "--ca" || word == "--token-file") ++i;
        else if (word.empty() || word[0] != '-') return i;
    }
    return args.size();
}

}  // namespace

int run_ctl(const std::vector<std::string>& args) {
    const std::size_t position = subcommand_position(args);
    if (position == args.size() || args[position] == "help") {
        const bool asked = position < args.size() || std::find(args.begin(), args.end(), "--help") != args.end() ||
                           std::find(args.begin(), args.end(), "-h") != args.end();
        (asked ? std::cout : std::cerr) << ctl_help();
        return asked ? 0 : 2;
    }
    std::vector<std::string> rest(args);
    rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(position));
    const bool json_output = std::find(args.begin(), args.end(), "--json") != args.end();
    try {
        return subcommand_named(args[position]).run(rest);
    } catch (const ControllerRefusal& refusal) {
        std::cerr << "dagda ctl: " << refusal.what() << "\n";
        if (json_output) std::cout << json{{"error", {{"kind", "failed"}, {"code", refusal.code()}, {"status", refusal.status()}, {"message", refusal.what()}}}}.dump(2) << "\n";
        return exit_code(ErrorKind::failed);
    } catch (const Error& error) {
        std::cerr << "dagda ctl: " << error.what() << "\n";
        if (json_output) std::cout << json{{"error", {{"kind", to_string(error.kind())}, {"message", error.what()}}}}.dump(2) << "\n";
        return exit_code(error.kind());
    }
}

}  // namespace dagda::app
