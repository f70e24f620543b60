#pragma once
/// A step as the job runner knows it: registered as data under `<module>.<verb>`, with what it
/// checks before any step runs, how it describes its actions for the plan printout, how it runs,
/// and how an interrupted run is taken up again. The functions close over the domain objects
/// they need (steps/ builds them); the runner sees only JSON arguments.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace dagda::jobs {

/// What a step may use while it runs.
class StepContext {
public:
    virtual ~StepContext() = default;
    /// Progress of the step's long part (bytes or items), and the action being done.
    virtual void progress(std::uint64_t done, std::uint64_t total, const std::string& action) = 0;
    /// One change made, for the report ("copied viostor.sys to …").
    virtual void say(const std::string& line) = 0;
    /// Throws Error{cancelled} when the job was cancelled; long steps call it often.
    virtual void check_cancel() = 0;
    /// A checkpoint-resumable step's last recorded state (null when it starts fresh).
    virtual const nlohmann::json& saved_state() const = 0;
    /// Records the step's state in the journal (synced) so that a rerun continues from it.
    virtual void save_state(const nlohmann::json& state) = 0;
};

/// How a run that was interrupted (killed, rebooted, cancelled) is taken up again.
enum class Resume {
    rerun,       ///< running it again from the start gives the same result (writing a table)
    checkpoint,  ///< it continues from its saved state (a restore)
    /// it edits what an earlier checkpoint step wrote (a restored volume) in place, so an
    /// interrupted run is undone by running that step again from scratch, then what follows
    rebuild,
};

/// One argument a step takes: its schema as data, for the plan printout's help
/// (`dagda run --list-steps`) and the check that a plan names no other key.
struct ArgumentSpec {
    std::string name;      ///< "archive"
    std::string kind;      ///< "path or URL", "disk name", "true/false", "[{volume, partition}]"
    bool required = false;
    std::string meaning;
};

struct StepSpec {
    std::string name;     ///< "image.restore"
    std::string summary;  ///< for `dagda run --help` and docs
    Resume resume = Resume::rerun;
    /// Problems with the arguments and the world (disk present, archive readable), all of them.
    std::function<std::vector<std::string>(const nlohmann::json& args)> validate;
    /// The actions it will take, future tense, one per line ("Restore volume 2 (40 GiB) of … onto …").
    std::function<std::vector<std::string>(const nlohmann::json& args)> describe;
    std::function<void(const nlohmann::json& args, StepContext& context)> run;
    /// What it writes ("disk:system"), so a rebuild step finds the checkpoint step to redo.
    std::function<std::string(const nlohmann::json& args)> writes;
    /// Its arguments; a plan naming another key for it is refused.
    std::vector<ArgumentSpec> arguments;
    /// What it left on its disk, read back now: a cheap fingerprint ({"what": text for the
    /// operator, …}) of something it wrote that no later step of a plan changes (the table's id
    /// and entries, a volume's boot sector identity). Recorded in the journal when the step
    /// finishes; a rerun skips a finished step only while its disk still gives the same value,
    /// so a journal is never taken for a disk it did not write. Null for a step that leaves
    /// nothing on a disk (a reboot).
    std::function<nlohmann::json(const nlohmann::json& args)> fingerprint = nullptr;
};

class StepRegistry {
public:
    void add(StepSpec spec);
    /// The step named `name`, or nullptr.
    const StepSpec* find(const std::string& name) const;
    std::vector<std::string> names() const;

private:
    std::map<std::string, StepSpec> steps_;
};

}  // namespace dagda::jobs
