#include "controller/ReplicationAdapter.hpp"

#include "controller/HelperControl.hpp"
#include "core/Error.hpp"
#include "core/Subprocess.hpp"

#include <atomic>
#include <chrono>

namespace dagda::controller {

using nlohmann::json;

namespace {

constexpr std::size_t most_answer_bytes = 1u << 20;

std::string next_request_id() {
    static std::atomic<unsigned long> counter{0};
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    return "dagda-" + std::to_string(now) + "-" + std::to_string(++counter);
}

/// The last lines of an adapter's stderr, for the error (its own account of what went wrong).
std::string stderr_tail(const std::string& err) {
    std::string tail = err.size() > 600 ? err.substr(err.size() - 600) : err;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
    for (char& c : tail)
        if (c == '\n') c = ' ';
    return tail.empty() ? "" : " (it said: " + tail + ")";
}

template <class Check>
auto checked_call(ReplicationAdapter& adapter, const json& request, const std::string& what, Check check) -> decltype(check(json())) {
    try {
        return check(adapter.call(request));
    } catch (const Error& e) {
        throw Error(ErrorKind::failed, "replication adapter \"" + adapter.name() + "\" could not " + what + ": " + e.what());
    }
}

SessionAnswer session_verb(ReplicationAdapter& adapter, ReplicationVerb verb, const ReplicaSession& session, const std::string& state) {
    const json request = replication_request(verb, next_request_id(), session.id, volume_names(session));
    return checked_call(adapter, request, verb_name(verb) + " session " + session.id,
                        [&](const json& answer) { return session_answer(answer, session.id, state); });
}

}  // namespace

ExternalAdapter::ExternalAdapter(std::string name, std::string program, std::chrono::seconds timeout)
    : name_(std::move(name)), program_(std::move(program)), timeout_(timeout) {}

json ExternalAdapter::call(const json& request) {
    ProgramBounds bounds;
    bounds.input = request.dump() + "\n";
    bounds.timeout = timeout_;
    bounds.most_output = most_answer_bytes;
    bounds.cancel = &cancelled_;
    if (cancelled_) throw ControllerStopping();
    const ProgramResult result = run_bounded_program({program_}, bounds, {"DAGDA_REPLICATION_CONTRACT=1"});
    // Neither done nor failed: a push button's step is taken again after the restart.
    if (result.cancelled) throw ControllerStopping();
    if (result.timed_out) throw Error(ErrorKind::failed, "it did not answer within " + std::to_string(timeout_.count()) + " s and was killed" + stderr_tail(result.err));
    if (result.output_cut) throw Error(ErrorKind::failed, "it wrote more than 1 MiB and was killed");
    if (result.exit_code > 128) throw Error(ErrorKind::failed, "it was ended by signal " + std::to_string(result.exit_code - 128) + stderr_tail(result.err));
    if (result.exit_code != 0) throw Error(ErrorKind::failed, "it exited with status " + std::to_string(result.exit_code) + stderr_tail(result.err));
    json answer = json::parse(result.out, nullptr, false);
    if (answer.is_discarded()) {
        std::string start = result.out.substr(0, 60);
        for (char& c : start)
            if (static_cast<unsigned char>(c) < 0x20) c = ' ';
        throw Error(ErrorKind::failed, "its answer is not JSON: \"" + start + (result.out.size() > 60 ? "…" : "") + "\"");
    }
    return answer;
}

std::vector<ReplicaSession> discover_sessions(ReplicationAdapter& adapter) {
    auto sessions = checked_call(adapter, replication_request(ReplicationVerb::discover, next_request_id()), "discover",
                                 [](const json& answer) { return discover_answer(answer); });
    for (ReplicaSession& s : sessions) s.adapter = adapter.name();
    return sessions;
}

SessionAnswer freeze_session(ReplicationAdapter& adapter, const ReplicaSession& session) {
    return session_verb(adapter, ReplicationVerb::freeze, session, "frozen");
}

SessionAnswer resume_session(ReplicationAdapter& adapter, const ReplicaSession& session) {
    return session_verb(adapter, ReplicationVerb::resume, session, "replicating");
}

SessionAnswer remove_session(ReplicationAdapter& adapter, const ReplicaSession& session) {
    return session_verb(adapter, ReplicationVerb::remove, session, "removed");
}

std::pair<std::string, std::string> adapter_option(const std::string& text) {
    const std::size_t equals = text.find('=');
    if (equals == std::string::npos || equals + 1 == text.size())
        throw Error(ErrorKind::usage, "--replication-adapter takes NAME=PROGRAM, not \"" + text + "\"");
    const std::string name = text.substr(0, equals);
    if (!valid_adapter_name(name)) throw Error(ErrorKind::usage, "a replication adapter's name is 1 to 32 of a-z 0-9 -, not \"" + name + "\"");
    if (name == "builtin") throw Error(ErrorKind::usage, "\"builtin\" is the built-in engine's adapter; name yours otherwise");
    return {name, text.substr(equals + 1)};
}

}  // namespace dagda::controller
